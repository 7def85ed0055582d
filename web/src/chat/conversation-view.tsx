/**
 * One conversation: its latest history, then every change after it (live from the socket, or,
 * while the socket is not connected, polled from /changes?since=N), a composer that shows a
 * message at once and sends it with a clientMessageId (a retry answers the first copy, so nothing
 * shows twice), and edit, delete and react on each message.
 *
 * It opens at the first unread message: the read pointer as the conversation opened
 * (`membership.readSeq`) places a "New messages" divider, scrolled into view. When more is unread
 * than the latest page holds, "Jump to first unread" reads back to it (a conversation is not read
 * in full just because it was opened). New messages scroll the list to its end only while the
 * person is there, so reading further up is not interrupted; their own sends always do.
 */

import { Fragment } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';
import { AttachmentList } from './attachment-view.tsx';
import { Composer } from './composer.tsx';
import { follow, isLive, onLiveChange, onLiveStatus, sendTyping } from './live.ts';
import { MemberList } from './member-list.tsx';
import { OlderHistoryTop, useOlderHistory } from './older-history.tsx';
import { PendingItem } from './pending-item.tsx';
import { type NameOf, usePeopleNames } from './people.ts';
import { PresenceList, TypingLine } from './people-bar.tsx';
import { ThreadPanel } from './thread-panel.tsx';
import {
  addPending,
  applyChanges,
  emptyTimeline,
  lastChangeSeq,
  markPending,
  mergeHistoryPage,
  mergeMessages,
  orderedMessages,
  type PendingMessage,
  replyCount,
  type Timeline,
  threadReplies,
  unreadDivider,
} from './timeline.ts';
import type { Message } from './types.ts';

const POLL_MS = 1500;
/**
 * A catching-up request that has not answered by then is given up and asked again: after a
 * network drop a request already on its way can hang (nothing answers, nothing fails), and the
 * view must not wait on it forever.
 */
const POLL_REQUEST_TIMEOUT_MS = 5000;
const REACTIONS = ['👍', '🎉', '❤️'];

export function newClientMessageId(): string {
  return `web-${crypto.randomUUID()}`;
}

export function ConversationView(props: {
  conversationId: string;
  me: string;
  title: string;
  onRead: () => void;
}) {
  const { conversationId, me } = props;
  const [timeline, setTimeline] = useState<Timeline>(emptyTimeline);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState<string | undefined>();
  const [thread, setThread] = useState<string | undefined>();
  const since = useRef(0);
  const readUpTo = useRef(0);
  const endRef = useRef<HTMLLIElement>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const [firstCursor, setFirstCursor] = useState<number | undefined>();
  /** The read pointer when the conversation opened (undefined until known). */
  const [readAtOpen, setReadAtOpen] = useState<number | undefined>();
  const dividerRef = useRef<HTMLLIElement>(null);
  /** Scrolled to the first unread (or to the end) once the first page showed. */
  const placedOnOpen = useRef(false);
  /** The list is scrolled to (near) its end: new messages keep it there. */
  const atEnd = useRef(true);
  const [jumping, setJumping] = useState(false);
  const people = usePeopleNames(conversationId);
  const nameOf = people.nameOf;

  useEffect(() => {
    let stopped = false;
    setTimeline(emptyTimeline());
    setFirstCursor(undefined);
    setReadAtOpen(undefined);
    placedOnOpen.current = false;
    atEnd.current = true;
    since.current = 0;
    readUpTo.current = 0;
    // Live changes apply from the first moment (before the history answers: merging by
    // changeSeq makes the order of the two irrelevant).
    const stopLiveChanges = onLiveChange((id, change) => {
      if (id !== conversationId || stopped) return;
      since.current = Math.max(since.current, change.seq);
      setTimeline((t) => applyChanges(t, [change]));
    });
    const load = async () => {
      // The read pointer is read before this view moves it (it does once the page shows).
      const [{ data, error: problem }, conversation] = await Promise.all([
        api.GET('/api/v1/conversations/{conversationId}/messages', {
          params: { path: { conversationId }, query: { limit: 50 } },
        }),
        api.GET('/api/v1/conversations/{conversationId}', { params: { path: { conversationId } } }),
      ]);
      if (stopped) return;
      if (!data) return setError(describeProblem(problem, 'The conversation could not be loaded.'));
      const readSeq = conversation.data?.membership?.readSeq;
      if (readSeq !== undefined) readUpTo.current = readSeq;
      setReadAtOpen(readSeq ?? Number.MAX_SAFE_INTEGER);
      since.current = lastChangeSeq(data.messages);
      setFirstCursor(data.prevCursor);
      setTimeline((t) => mergeHistoryPage(t, data.messages, data.prevCursor));
      follow(conversationId, since.current);
      poll();
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current: AbortController | undefined;
    // One round at a time: a new round (the timer, or the browser saying it is online again)
    // abandons the one in flight, which then schedules nothing. While the socket is live there
    // is no round at all: socket-client recovers gaps and reconnects by itself.
    const poll = async () => {
      if (timer) clearTimeout(timer);
      current?.abort();
      if (isLive()) return;
      const round = new AbortController();
      current = round;
      const giveUp = setTimeout(() => round.abort(), POLL_REQUEST_TIMEOUT_MS);
      try {
        for (;;) {
          const { data } = await api.GET('/api/v1/conversations/{conversationId}/changes', {
            params: { path: { conversationId }, query: { since: since.current, limit: 200 } },
            signal: round.signal,
          });
          if (stopped || round.signal.aborted || !data) break;
          since.current = Math.max(since.current, data.upTo);
          if (data.changes.length > 0) setTimeline((t) => applyChanges(t, data.changes));
          if (!data.hasMore) break;
        }
      } catch {
        // offline, or given up: the next round catches up from the same seq
      } finally {
        clearTimeout(giveUp);
      }
      if (!stopped && current === round) timer = setTimeout(poll, POLL_MS);
    };
    const catchUpNow = () => {
      if (!stopped) void poll();
    };
    window.addEventListener('online', catchUpNow);
    // The socket dropped: catch up by polling until it is back (then the socket's sync takes over).
    const stopStatus = onLiveStatus((live) => {
      if (!live) catchUpNow();
    });
    load().catch((failure) => setError(describeProblem(failure)));
    return () => {
      stopped = true;
      stopLiveChanges();
      stopStatus();
      window.removeEventListener('online', catchUpNow);
      current?.abort();
      if (timer) clearTimeout(timer);
    };
  }, [conversationId]);

  // A thread opened: its replies so far (later ones arrive as changes, like any message).
  useEffect(() => {
    if (!thread) return;
    let stale = false;
    api
      .GET('/api/v1/conversations/{conversationId}/messages', {
        params: { path: { conversationId }, query: { parentId: thread, limit: 200 } },
      })
      .then(
        ({ data, error: problem }) => {
          if (stale) return;
          if (data) setTimeline((t) => mergeMessages(t, data.messages));
          else setError(describeProblem(problem, 'The thread could not be loaded.'));
        },
        () => undefined,
      );
    return () => {
      stale = true;
    };
  }, [conversationId, thread]);
  useEffect(() => setThread(undefined), [conversationId]);

  const messages = orderedMessages(timeline);
  const lastSeq = messages.at(-1)?.seq ?? 0;
  const history = useOlderHistory({
    conversationId,
    firstCursor,
    list: listRef,
    shown: messages.length,
    onPage: (older, prevCursor) => setTimeline((t) => mergeHistoryPage(t, older, prevCursor)),
    onError: setError,
  });

  const divider =
    readAtOpen === undefined ? undefined : unreadDivider(messages, readAtOpen, me, history.more);
  const dividerPlaced = divider?.placed === true;

  // Everything shown is read: move the read pointer (it only moves forward on the server).
  const pendingCount = timeline.pending.length;
  const pendingBefore = useRef(0);
  useLayoutEffect(() => {
    const sentNow = pendingCount > pendingBefore.current;
    pendingBefore.current = pendingCount;
    if (readAtOpen === undefined) return;
    if (!placedOnOpen.current) {
      placedOnOpen.current = true;
      if (dividerRef.current) {
        dividerRef.current.scrollIntoView({ block: 'start' });
        return markRead();
      }
    }
    if (atEnd.current || sentNow) endRef.current?.scrollIntoView({ block: 'end' });
    markRead();
  }, [lastSeq, pendingCount, readAtOpen]);

  // After a jump, the divider (now placed) is brought into view and takes the focus.
  useLayoutEffect(() => {
    if (!jumping || !dividerPlaced) return;
    setJumping(false);
    dividerRef.current?.scrollIntoView({ block: 'start' });
    dividerRef.current?.focus({ preventScroll: true });
  }, [jumping, dividerPlaced]);

  function markRead() {
    if (lastSeq > readUpTo.current) {
      readUpTo.current = lastSeq;
      api
        .PUT('/api/v1/conversations/{conversationId}/read', {
          params: { path: { conversationId } },
          body: { seq: lastSeq },
        })
        .then(props.onRead, () => undefined);
    }
  }

  const jumpToFirstUnread = async () => {
    if (readAtOpen === undefined) return;
    await history.loadThrough(readAtOpen);
    setJumping(true);
  };

  const send = useCallback(
    async (pending: PendingMessage) => {
      setTimeline((t) => addPending(t, { ...pending, status: 'sending' }));
      // Retried with the same clientMessageId: the server answers the first copy, never a second.
      for (let attempt = 0; attempt < 4; attempt++) {
        try {
          const { data, response } = await api.POST('/api/v1/conversations/{conversationId}/messages', {
            params: { path: { conversationId } },
            body: {
              clientMessageId: pending.clientMessageId,
              text: pending.text,
              ...(pending.parentId ? { parentId: pending.parentId } : {}),
              ...(pending.attachments?.length
                ? { attachments: pending.attachments.map((mediaId) => ({ mediaId })) }
                : {}),
            },
          });
          if (data) return setTimeline((t) => mergeMessages(t, [data as Message]));
          if (response.status < 500 && response.status !== 429) break;
        } catch {
          // network: retry
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
      setTimeline((t) => markPending(t, pending.clientMessageId, 'failed'));
    },
    [conversationId],
  );

  const update = async (call: Promise<{ data?: unknown; error?: unknown }>) => {
    const { data, error: problem } = await call;
    if (data) setTimeline((t) => mergeMessages(t, [data as Message]));
    else setError(describeProblem(problem));
  };

  const path = (messageId: string) => ({ path: { conversationId, messageId } });

  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <h2 id="conversation-title">{props.title}</h2>
      <PresenceList conversationId={conversationId} me={me} nameOf={nameOf} />
      <MemberList people={people} me={me} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {divider && !divider.placed && (
        <p class="jump-unread">
          New messages start further up.{' '}
          <button
            type="button"
            class="link"
            onClick={() => void jumpToFirstUnread()}
            disabled={history.loading}
          >
            Jump to first unread
          </button>
        </p>
      )}
      <ol
        ref={listRef}
        class="messages"
        aria-label="Messages"
        aria-live="polite"
        aria-relevant="additions"
        onScroll={(e) => {
          const list = e.currentTarget;
          atEnd.current = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
        }}
      >
        <OlderHistoryTop history={history} list={listRef} />
        {messages.map((m) => (
          <Fragment key={m.id}>
            {dividerPlaced && divider?.beforeId === m.id && (
              <li ref={dividerRef} class="unread-divider" id="first-unread" tabIndex={-1}>
                <span>New messages</span>
              </li>
            )}
            <MessageItem
              message={m}
              me={me}
              nameOf={nameOf}
              editing={editing === m.id}
              replies={replyCount(timeline, m)}
              onOpenThread={() => setThread(m.id)}
              onEdit={() => setEditing(m.id)}
              onCancelEdit={() => setEditing(undefined)}
              onSaveEdit={(text) => {
                setEditing(undefined);
                void update(
                  api.PATCH('/api/v1/conversations/{conversationId}/messages/{messageId}', {
                    params: path(m.id),
                    body: { text },
                  }),
                );
              }}
              onDelete={() =>
                void update(
                  api.DELETE('/api/v1/conversations/{conversationId}/messages/{messageId}', {
                    params: path(m.id),
                  }),
                )
              }
              onReact={(emoji, mine) =>
                void update(
                  mine
                    ? api.DELETE(
                        '/api/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}',
                        { params: { path: { conversationId, messageId: m.id, emoji } } },
                      )
                    : api.PUT(
                        '/api/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}',
                        {
                          params: { path: { conversationId, messageId: m.id, emoji } },
                        },
                      ),
                )
              }
            />
          </Fragment>
        ))}
        {timeline.pending
          .filter((p) => !p.parentId)
          .map((p) => (
            <PendingItem key={p.clientMessageId} pending={p} onRetry={() => void send(p)} />
          ))}
        <li ref={endRef} class="end" aria-hidden="true" />
      </ol>
      <TypingLine conversationId={conversationId} me={me} nameOf={nameOf} />
      <Composer
        key={conversationId}
        conversationId={conversationId}
        title={props.title}
        onTyping={(typing) => sendTyping(conversationId, typing)}
        onSend={(text, attachments) =>
          void send({ clientMessageId: newClientMessageId(), text, status: 'sending', attachments })
        }
      />
      {thread && timeline.messages.get(thread) && (
        <ThreadPanel
          root={timeline.messages.get(thread) as Message}
          replies={threadReplies(timeline, thread)}
          pending={timeline.pending.filter((p) => p.parentId === thread)}
          me={me}
          nameOf={nameOf}
          onSend={(text) =>
            void send({ clientMessageId: newClientMessageId(), text, status: 'sending', parentId: thread })
          }
          onRetry={(p) => void send(p)}
          onClose={() => setThread(undefined)}
        />
      )}
    </section>
  );
}

function MessageItem(props: {
  message: Message;
  me: string;
  nameOf: NameOf;
  editing: boolean;
  onEdit: () => void;
  onCancelEdit: () => void;
  onSaveEdit: (text: string) => void;
  onDelete: () => void;
  onReact: (emoji: string, mine: boolean) => void;
  replies: number;
  onOpenThread: () => void;
}) {
  const { message: m, me } = props;
  const mine = m.senderId === me;
  const [text, setText] = useState(m.text ?? '');
  const time = new Date(m.createdAt);
  if (m.deleted) {
    return (
      <li class="message deleted" data-seq={m.seq}>
        <p class="text">
          <em>This message was deleted.</em>
        </p>
      </li>
    );
  }
  return (
    <li class={`message${mine ? ' mine' : ''}`} data-seq={m.seq}>
      <span class="sender">{mine ? 'You' : props.nameOf(m.senderId)}</span>{' '}
      <time dateTime={m.createdAt}>
        {time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
      </time>
      {props.editing ? (
        <form
          class="edit"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) props.onSaveEdit(text.trim());
          }}
        >
          <label for={`edit-${m.id}`} class="visually-hidden">
            Edit message
          </label>
          <input
            id={`edit-${m.id}`}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') props.onCancelEdit();
            }}
          />
          <button type="submit">Save</button>
          <button type="button" onClick={props.onCancelEdit}>
            Cancel
          </button>
        </form>
      ) : (
        <p class="text">
          {m.text}
          {m.editedAt && <span class="edited"> (edited)</span>}
        </p>
      )}
      <AttachmentList mediaIds={m.attachments.map((a) => a.mediaId)} />
      <div class="reactions">
        {m.reactions.map((r) => {
          const reacted = r.userIds.includes(me);
          return (
            <button
              key={r.emoji}
              type="button"
              class="reaction"
              aria-pressed={reacted}
              aria-label={`${r.emoji} ${r.count}${reacted ? ', remove your reaction' : ', react'}`}
              onClick={() => props.onReact(r.emoji, reacted)}
            >
              {r.emoji} {r.count}
            </button>
          );
        })}
      </div>
      <div class="actions">
        {REACTIONS.filter((e) => !m.reactions.some((r) => r.emoji === e)).map((emoji) => (
          <button
            key={emoji}
            type="button"
            class="icon"
            aria-label={`React with ${emoji}`}
            onClick={() => props.onReact(emoji, false)}
          >
            {emoji}
          </button>
        ))}
        {mine && !props.editing && (
          <button
            type="button"
            onClick={() => {
              setText(m.text ?? '');
              props.onEdit();
            }}
          >
            Edit
          </button>
        )}
        {mine && (
          <button type="button" onClick={props.onDelete}>
            Delete
          </button>
        )}
        <button type="button" onClick={props.onOpenThread}>
          {props.replies > 0
            ? `${props.replies} ${props.replies === 1 ? 'reply' : 'replies'}`
            : 'Reply in thread'}
        </button>
      </div>
    </li>
  );
}
