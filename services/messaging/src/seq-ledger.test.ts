// The gap-free per-conversation seq on the real Mongo-wire server (FerretDB: no transactions and
// no isolated updates): concurrent senders never share a seq and never leave a hole, and a writer
// that dies at either step leaves nothing a catch-up read misses.

import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { History } from './domain/history.ts';
import { logId } from './domain/ids.ts';
import { MessageViews } from './domain/message-views.ts';
import type { LogDocument } from './store/collections.ts';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';
import { LogRepair } from './workers/log-repair.ts';

const VOID_AFTER_MS = 400;
let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture({ seqVoidAfterMs: VOID_AFTER_MS });
});
afterAll(async () => {
  await f?.close();
});

const newRoom = async (name: string, members: string[]) =>
  (await f.call('ann', 'POST', '/conversations', { kind: 'group', name, memberIds: members })).json()
    .id as string;

const allChanges = async (user: string, room: string, since = 0) => {
  const answer = await f.call(user, 'GET', `/conversations/${room}/changes?since=${since}&limit=500`);
  expect(answer.statusCode).toBe(200);
  return answer.json() as {
    changes: { seq: number; kind: string; messageId?: string; message?: { text?: string } }[];
    upTo: number;
    hasMore: boolean;
  };
};

describe('concurrent senders', () => {
  it('20 senders at once get 20 distinct seqs 1..20, and the changes are exactly those', async () => {
    const senders = Array.from({ length: 20 }, (_, i) => `user${i}`);
    const room = await newRoom('Race', senders);
    const answers = await Promise.all(
      senders.map((user, i) =>
        f.call(user, 'POST', `/conversations/${room}/messages`, {
          clientMessageId: `m-${i}`,
          text: `from ${user}`,
        }),
      ),
    );
    for (const answer of answers) expect(answer.statusCode).toBe(201);
    const seqs = answers.map((a) => a.json().seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const { changes, upTo, hasMore } = await allChanges('ann', room);
    expect(changes.map((c) => c.seq)).toEqual(seqs);
    expect(changes.every((c) => c.kind === 'message.created')).toBe(true);
    expect(upTo).toBe(20);
    expect(hasMore).toBe(false);
    const stored = await f.db.collection('messages').find({ conversationId: room }).toArray();
    expect(stored.map((m) => m.seq).sort((a, b) => a - b)).toEqual(seqs);
  });

  it('edits, reactions and deletes take seqs from the same sequence, interleaved with sends', async () => {
    const room = await newRoom('Mixed', ['bob']);
    const first = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'a', text: 'one' })
    ).json();
    await Promise.all([
      f.call('ann', 'PATCH', `/conversations/${room}/messages/${first.id}`, { text: 'one, edited' }),
      f.call('bob', 'PUT', `/conversations/${room}/messages/${first.id}/reactions/ok`),
      f.call('bob', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'b', text: 'two' }),
      f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'c', text: 'three' }),
    ]);
    const { changes } = await allChanges('bob', room);
    expect(changes.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(changes.map((c) => c.kind).sort()).toEqual(
      ['message.created', 'message.created', 'message.created', 'message.edited', 'reaction.added'].sort(),
    );
    // Every change of the first message shows its state now.
    for (const change of changes.filter((c) => c.messageId === first.id))
      expect(change.message?.text).toBe('one, edited');
    const since3 = await allChanges('bob', room, 3);
    expect(since3.changes.map((c) => c.seq)).toEqual([4, 5]);
  });
});

describe('a counter that lags the log (a lost $inc on FerretDB)', () => {
  it('still serves the entries beyond it, by small reads and big ones alike', async () => {
    const room = await newRoom('Lag', ['bob']);
    for (let i = 1; i <= 40; i++)
      await f.call('ann', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: `l${i}`,
        text: `n${i}`,
      });
    // A stale write sets the counter below seqs already taken.
    await f.db.collection('conversation_seqs').updateOne({ _id: room as never }, { $set: { seq: 35 } });
    const seqsOf = async (since: number, limit: number) => {
      const answer = await f.call(
        'bob',
        'GET',
        `/conversations/${room}/changes?since=${since}&limit=${limit}`,
      );
      expect(answer.statusCode).toBe(200);
      const list = answer.json() as { changes: { seq: number; message?: { text?: string } }[]; upTo: number };
      for (const change of list.changes) expect(change.message?.text).toBe(`n${change.seq}`);
      return list.changes.map((c) => c.seq);
    };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const reads: [number, number, number[]][] = [
      [0, 500, range(1, 40)],
      [34, 10, range(35, 40)],
      [36, 500, range(37, 40)],
      [37, 1, [38]],
      [33, 2, [34, 35]],
      [40, 500, []],
    ];
    // Through the API (by `_id` lookups: CHANGES_POINT_READ_SPAN's default), and with the range
    // query (span 0, as on MongoDB) or a small span (range for the big reads, lookups for the rest).
    for (const [since, limit, expected] of reads) expect(await seqsOf(since, limit)).toEqual(expected);
    for (const pointReadSpan of [0, 2]) {
      const history = new History({
        conversations: f.components.conversations,
        views: new MessageViews(f.components.sealer),
        ledger: f.components.ledger,
        applier: f.components.applier,
        pointReadSpan,
      });
      const bob = { tenant: f.tenant, userId: 'bob', roles: ['member'] };
      for (const [since, limit, expected] of reads) {
        const list = await history.changes(bob, room, since, limit);
        expect(list.changes.map((c) => [c.seq, c.message?.text])).toEqual(expected.map((n) => [n, `n${n}`]));
      }
    }
  });
});

describe('a writer that dies', () => {
  it('after reserving a seq leaves a hole that reads stop before, then fill with a void once it is old', async () => {
    const room = await newRoom('Hole', ['bob']);
    await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'h1', text: 'one' });
    // The crash: the counter (its own document since seq-counters.ts) moved (seq 2 reserved) but
    // no log entry was ever written.
    await f.db
      .collection('conversation_seqs')
      .updateOne({ _id: room as never }, { $inc: { seq: 1 }, $set: { seqAt: new Date() } });
    await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'h3', text: 'three' });
    const early = await allChanges('bob', room);
    expect(early.changes.map((c) => c.seq)).toEqual([1]);
    expect(early.upTo).toBe(1);
    expect(early.hasMore).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, VOID_AFTER_MS + 100));
    const later = await allChanges('bob', room);
    expect(later.changes.map((c) => [c.seq, c.kind])).toEqual([
      [1, 'message.created'],
      [2, 'void'],
      [3, 'message.created'],
    ]);
    expect(later.hasMore).toBe(false);
  });

  it('a hole read one seq at a time (as the socket replicas read) is judged by the entry after it', async () => {
    const room = await newRoom('Hole one by one', ['bob']);
    await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'o1', text: 'one' });
    await f.db
      .collection('conversation_seqs')
      .updateOne({ _id: room as never }, { $inc: { seq: 1 }, $set: { seqAt: new Date() } });
    await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'o3', text: 'three' });
    const one = async (since: number) => {
      const answer = await f.call('bob', 'GET', `/conversations/${room}/changes?since=${since}&limit=1`);
      expect(answer.statusCode).toBe(200);
      return answer.json() as { changes: { seq: number; kind: string }[]; upTo: number; hasMore: boolean };
    };
    expect((await one(1)).changes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, VOID_AFTER_MS + 100));
    // Later sends keep the counter's time fresh: the hole is judged by seq 3's time, not the counter's.
    await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'o4', text: 'four' });
    const voided = await one(1);
    expect(voided.changes.map((c) => [c.seq, c.kind])).toEqual([[2, 'void']]);
    expect(voided.hasMore).toBe(true);
    expect((await one(2)).changes.map((c) => c.seq)).toEqual([3]);
    expect((await one(3)).changes.map((c) => c.seq)).toEqual([4]);
  });

  it('reserving the last seq: the void comes from the counter', async () => {
    const room = await newRoom('Tail', ['bob']);
    await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 't1', text: 'one' });
    await f.db
      .collection('conversation_seqs')
      .updateOne({ _id: room as never }, { $inc: { seq: 1 }, $set: { seqAt: new Date() } });
    expect((await allChanges('bob', room)).upTo).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, VOID_AFTER_MS + 100));
    const later = await allChanges('bob', room);
    expect(later.changes.map((c) => c.kind)).toEqual(['message.created', 'void']);
    // A writer arriving late for seq 2 meets the void's key and takes seq 3.
    const late = await f.call('ann', 'POST', `/conversations/${room}/messages`, {
      clientMessageId: 't2',
      text: 'late',
    });
    expect(late.json().seq).toBe(3);
  });

  it('after writing its log entry: the repair worker finishes it into messages', async () => {
    const room = await newRoom('Half', ['bob']);
    const sealed = await f.components.sealer.seal(f.tenant, 'm_halfdone', { text: 'half done' });
    const reserved = await f.db
      .collection('conversation_seqs')
      .findOneAndUpdate(
        { _id: room as never },
        { $inc: { seq: 1 }, $set: { seqAt: new Date() } },
        { returnDocument: 'after', upsert: true },
      );
    const seq = reserved?.seq as number;
    const entry: LogDocument = {
      _id: logId(room, seq),
      conversationId: room,
      seq,
      kind: 'message.created',
      messageId: 'm_halfdone',
      actorId: 'ann',
      at: new Date(Date.now() - VOID_AFTER_MS * 2),
      applied: false,
      intent: {
        body: sealed,
        senderId: 'ann',
        clientMessageId: 'half',
        createdAt: new Date(),
        mentions: { users: [], channel: false },
        attachments: [],
      },
    };
    await f.db.collection<LogDocument>('message_log').insertOne(entry);
    expect((await f.call('bob', 'GET', `/conversations/${room}/messages`)).json().messages).toEqual([]);
    const repair = new LogRepair({
      store: f.components.store,
      applier: f.components.applier,
      tenants: async () => [f.tenant],
      olderThanMs: VOID_AFTER_MS,
      intervalMs: 60_000,
      logger: createSilentLogger(),
    });
    await repair.runNow();
    const page = (await f.call('bob', 'GET', `/conversations/${room}/messages`)).json();
    expect(page.messages.map((m: { text: string; seq: number }) => [m.seq, m.text])).toEqual([
      [seq, 'half done'],
    ]);
    const after = await f.db.collection<LogDocument>('message_log').findOne({ _id: entry._id });
    expect(after?.applied).toBe(true);
    expect(after?.intent).toBeUndefined();
    expect(after?._outboxPending).toBe(true);
  });
});
