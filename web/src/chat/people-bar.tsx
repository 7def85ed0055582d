/**
 * The people of the open conversation, live over the socket: who else is online or away (asked
 * when the conversation opens and whenever the socket is ready again, then kept current by the
 * server's presence notices), and who is typing now (each indicator ends when its typist stops or
 * when the server's expiry passes).
 */
import { useEffect, useState } from 'preact/hooks';
import { onLiveStatus, onPresence, onTyping, type PresenceStatus, presenceOf } from './live.ts';
import type { NameOf } from './people.ts';

export function PresenceList(props: { conversationId: string; me: string; nameOf: NameOf }) {
  const [statuses, setStatuses] = useState<Map<string, PresenceStatus>>(new Map());
  useEffect(() => {
    let stale = false;
    setStatuses(new Map());
    const ask = async () => {
      const answer = await presenceOf(props.conversationId);
      if (!stale && answer.length > 0) setStatuses(new Map(answer.map((p) => [p.userId, p.status])));
    };
    void ask();
    const stopStatus = onLiveStatus((live) => live && void ask());
    // A notice is about anyone who shares any conversation with this person: one about someone
    // this conversation's answer did not name is asked of the server again (which answers for
    // members only), never shown as it is.
    const stopPresence = onPresence((userId, status) =>
      setStatuses((known) => {
        if (known.has(userId)) return new Map(known).set(userId, status);
        void ask();
        return known;
      }),
    );
    return () => {
      stale = true;
      stopStatus();
      stopPresence();
    };
  }, [props.conversationId]);

  const others = [...statuses].filter(([userId]) => userId !== props.me);
  if (others.length === 0) return null;
  return (
    <ul class="presence" aria-label="Who is here">
      {others.map(([userId, status]) => (
        <li key={userId} data-user={userId} data-status={status}>
          <span class="dot" aria-hidden="true" /> {props.nameOf(userId)} <span class="status">{status}</span>
        </li>
      ))}
    </ul>
  );
}

export function TypingLine(props: { conversationId: string; me: string; nameOf: NameOf }) {
  const [typists, setTypists] = useState<string[]>([]);
  useEffect(() => {
    setTypists([]);
    return onTyping((conversationId, userIds) => {
      if (conversationId === props.conversationId) setTypists(userIds.filter((id) => id !== props.me));
    });
  }, [props.conversationId]);
  const names = typists.map(props.nameOf);
  const text =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
  return (
    <p class="typing" role="status">
      {text}
    </p>
  );
}
