/**
 * People by name in a conversation: the members list (`GET /conversations/:id/members`, where the
 * gateway puts each member's display name from auth) read when the conversation opens, again when
 * a membership changes, and again (once per id) when someone not known yet speaks or types. An id
 * without a name (a bot, or auth not answering) is shown as the id; when the gateway says the
 * names could not be read (`namesUnavailable`), the conversation says so.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../session.ts';
import { onMembershipChange } from './live.ts';

/** A members list is read in pages of this size, and at most this many pages. */
const PAGE = 200;
const MAX_PAGES = 10;

export type NameOf = (userId: string) => string;

/** What the members list said: the names known, every member's id, and whether names were missing. */
export interface PeopleRead {
  names: Map<string, string>;
  memberIds: string[];
  /** The gateway could not read the names (auth did not answer): the members are ids only. */
  namesUnavailable: boolean;
  /** The members list itself could not be read. */
  failed: boolean;
}

async function readPeople(conversationId: string): Promise<PeopleRead> {
  const read: PeopleRead = { names: new Map(), memberIds: [], namesUnavailable: false, failed: false };
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data } = await api.GET('/api/v1/conversations/{conversationId}/members', {
      params: { path: { conversationId }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } },
    });
    if (!data) {
      read.failed = page === 0;
      break;
    }
    if (data.namesUnavailable) read.namesUnavailable = true;
    for (const m of data.members) {
      read.memberIds.push(m.userId);
      if (m.displayName) read.names.set(m.userId, m.displayName);
    }
    cursor = data.nextCursor;
    if (!cursor) break;
  }
  return read;
}

export interface People {
  nameOf: NameOf;
  /** The members (by id), as last read. */
  memberIds: string[];
  namesUnavailable: boolean;
  failed: boolean;
}

const EMPTY: PeopleRead = { names: new Map(), memberIds: [], namesUnavailable: false, failed: false };

export function usePeopleNames(conversationId: string): People {
  const [people, setPeople] = useState<PeopleRead>(EMPTY);
  const names = people.names;
  /** Ids asked about since the last read: an unknown id triggers one read, not one per render. */
  const asked = useRef(new Set<string>());
  const reading = useRef<Promise<void> | undefined>(undefined);
  const current = useRef(conversationId);
  current.current = conversationId;

  const read = useCallback(() => {
    const id = conversationId;
    reading.current ??= readPeople(id)
      .then(
        (found) => {
          if (current.current === id) setPeople(found);
        },
        () => undefined,
      )
      .finally(() => {
        reading.current = undefined;
      });
  }, [conversationId]);

  useEffect(() => {
    setPeople(EMPTY);
    asked.current = new Set();
    read();
    return onMembershipChange(() => {
      asked.current = new Set();
      read();
    });
  }, [conversationId]);

  const nameOf = (userId: string) => {
    const name = names.get(userId);
    if (name) return name;
    if (!asked.current.has(userId)) {
      asked.current.add(userId);
      // After this render: a read started while rendering would set state mid-render.
      queueMicrotask(read);
    }
    return userId;
  };
  return {
    nameOf,
    memberIds: people.memberIds,
    namesUnavailable: people.namesUnavailable,
    failed: people.failed,
  };
}
