/**
 * People by name in a conversation: the members list (`GET /conversations/:id/members`, where the
 * gateway puts each member's display name from auth) read when the conversation opens, again when
 * a membership changes, and again (once per id) when someone not known yet speaks or types. An id
 * without a name (a bot, or auth not answering) is shown as the id.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../session.ts';
import { onMembershipChange } from './live.ts';

/** A members list is read in pages of this size, and at most this many pages. */
const PAGE = 200;
const MAX_PAGES = 10;

export type NameOf = (userId: string) => string;

async function readNames(conversationId: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data } = await api.GET('/api/v1/conversations/{conversationId}/members', {
      params: { path: { conversationId }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } },
    });
    if (!data) break;
    for (const m of data.members) if (m.displayName) names.set(m.userId, m.displayName);
    cursor = data.nextCursor;
    if (!cursor) break;
  }
  return names;
}

export function usePeopleNames(conversationId: string): NameOf {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  /** Ids asked about since the last read: an unknown id triggers one read, not one per render. */
  const asked = useRef(new Set<string>());
  const reading = useRef<Promise<void> | undefined>(undefined);
  const current = useRef(conversationId);
  current.current = conversationId;

  const read = useCallback(() => {
    const id = conversationId;
    reading.current ??= readNames(id)
      .then(
        (found) => {
          if (current.current === id) setNames(found);
        },
        () => undefined,
      )
      .finally(() => {
        reading.current = undefined;
      });
  }, [conversationId]);

  useEffect(() => {
    setNames(new Map());
    asked.current = new Set();
    read();
    return onMembershipChange(() => {
      asked.current = new Set();
      read();
    });
  }, [conversationId]);

  return (userId: string) => {
    const name = names.get(userId);
    if (name) return name;
    if (!asked.current.has(userId)) {
      asked.current.add(userId);
      // After this render: a read started while rendering would set state mid-render.
      queueMicrotask(read);
    }
    return userId;
  };
}
