// Concurrent updates of one conversation on the real Mongo-wire server (the "rename race"): a
// rename, a topic change and an archive sent at the same instant all stay; each gets its own
// revision; the events, read from the conversation's outbox in the order they were written,
// number the revisions 1, 2, 3 and each describes the state it produced (the last one the state
// stored). Renames against concurrent sends: src/seq-counter.test.ts.
import { ConversationUpdatedEvent } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
});

interface StoredEvent {
  type: string;
  payload: { archived: boolean; rev?: number };
}

async function updatedEvents(conversationId: string): Promise<StoredEvent[]> {
  const doc = await f.db.collection('conversations').findOne({ _id: conversationId as never });
  return ((doc?._outbox ?? []) as StoredEvent[]).filter((e) => e.type === ConversationUpdatedEvent.type);
}

async function newGroup(label: string): Promise<string> {
  const created = await f.call('ann', 'POST', '/conversations', {
    kind: 'group',
    name: `${label} before`,
    topic: 'old topic',
    memberIds: ['bob', 'cat'],
  });
  expect(created.statusCode).toBe(201);
  const id = created.json().id as string;
  for (const admin of ['bob', 'cat'])
    expect(
      (await f.call('ann', 'PATCH', `/conversations/${id}/members/${admin}`, { role: 'admin' })).statusCode,
    ).toBe(200);
  return id;
}

describe('concurrent updates of one conversation', { timeout: 120_000 }, () => {
  it('lose none, and number their events in the order they were written', async () => {
    for (let round = 0; round < 6; round++) {
      const id = await newGroup(`r${round}`);
      const answers = await Promise.all([
        f.call('ann', 'PATCH', `/conversations/${id}`, { name: `renamed ${round}` }),
        f.call('bob', 'PATCH', `/conversations/${id}`, { topic: `topic ${round}` }),
        f.call('cat', 'PATCH', `/conversations/${id}`, { archived: true }),
      ]);
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);

      const stored = (await f.call('ann', 'GET', `/conversations/${id}`)).json();
      expect(stored).toMatchObject({ name: `renamed ${round}`, topic: `topic ${round}`, archived: true });

      const events = await updatedEvents(id);
      expect(events.map((e) => e.payload.rev)).toEqual([1, 2, 3]);
      // The last event is the stored state; and archiving is seen by every event after it.
      const archivedAt = events.findIndex((e) => e.payload.archived);
      expect(archivedAt).toBeGreaterThanOrEqual(0);
      expect(events.slice(archivedAt).every((e) => e.payload.archived)).toBe(true);
      const doc = await f.db.collection('conversations').findOne({ _id: id as never });
      expect(doc?.rev).toBe(3);
    }
  });
});
