// The seq counter apart from the conversation (domain/seq-counters.ts), on the real Mongo-wire
// server. FerretDB rewrites a whole document per update without isolation: while the counter
// lived on the conversation document, a send's `$inc seq` could write back the conversation as
// it had read it, undoing a rename that had just been written (services/messaging/README.md).
// Here renames and a topic change run while members send: every update stays, and the sends'
// seqs are exactly 1..N. And a conversation from before the move (its counter on itself)
// continues its sequence where it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
});

const SENDERS = Array.from({ length: 8 }, (_, i) => `s${i}`);
const BURSTS = 8;

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function newGroup(label: string): Promise<string> {
  const created = await f.call('ann', 'POST', '/conversations', {
    kind: 'group',
    name: `${label} before`,
    topic: 'old topic',
    memberIds: ['bob', 'cat', ...SENDERS],
  });
  expect(created.statusCode).toBe(201);
  const id = created.json().id as string;
  expect(
    (await f.call('ann', 'PATCH', `/conversations/${id}/members/bob`, { role: 'admin' })).statusCode,
  ).toBe(200);
  return id;
}

async function sendAll(user: string, id: string, round: number, count: number, from = 0) {
  const seqs: number[] = [];
  for (let i = from; i < from + count; i++) {
    const answer = await f.call(user, 'POST', `/conversations/${id}/messages`, {
      clientMessageId: `${round}-${user}-${i}`,
      text: `${user} says ${i}`,
    });
    expect(answer.statusCode).toBe(201);
    seqs.push(answer.json().seq as number);
  }
  return seqs;
}

async function changeSeqs(id: string, since = 0): Promise<number[]> {
  const answer = await f.call('ann', 'GET', `/conversations/${id}/changes?since=${since}&limit=500`);
  expect(answer.statusCode).toBe(200);
  const list = answer.json() as { changes: { seq: number; kind: string }[]; hasMore: boolean };
  expect(list.hasMore).toBe(false);
  expect(list.changes.every((c) => c.kind === 'message.created')).toBe(true);
  return list.changes.map((c) => c.seq);
}

describe('renames while members send', { timeout: 240_000 }, () => {
  it('lose no update, and the sends get seqs 1..N without a gap or a repeat', async () => {
    const id = await newGroup('race');
    const sent: number[] = [];
    for (let burst = 0; burst < BURSTS; burst++) {
      // At the same instant: a rename by the owner, a topic change by an admin, and a message
      // from each sender.
      const [rename, topic, ...sends] = await Promise.all([
        f.call('ann', 'PATCH', `/conversations/${id}`, { name: `name ${burst}` }),
        f.call('bob', 'PATCH', `/conversations/${id}`, { topic: `topic ${burst}` }),
        ...SENDERS.map((user) =>
          f.call(user, 'POST', `/conversations/${id}/messages`, {
            clientMessageId: `${burst}-${user}`,
            text: `${user} in burst ${burst}`,
          }),
        ),
      ]);
      expect([rename?.statusCode, topic?.statusCode]).toEqual([200, 200]);
      for (const send of sends) expect(send.statusCode).toBe(201);
      sent.push(...sends.map((send) => send.json().seq as number));
      // Every update stays, and the conversation's last seq is the last one handed out (a lost
      // counter update would hide the newest messages from the unread counts).
      const total = SENDERS.length * (burst + 1);
      expect((await f.call('cat', 'GET', `/conversations/${id}`)).json(), `burst ${burst}`).toMatchObject({
        name: `name ${burst}`,
        topic: `topic ${burst}`,
        lastSeq: total,
      });
    }
    const total = SENDERS.length * BURSTS;
    expect((await f.db.collection('conversations').findOne({ _id: id as never }))?.rev).toBe(2 * BURSTS);
    expect(sent.sort((a, b) => a - b)).toEqual(range(1, total));
    expect(await changeSeqs(id)).toEqual(range(1, total));
    const sidebar = (await f.call('cat', 'GET', '/conversations')).json();
    expect(sidebar.conversations.find((c: { id: string }) => c.id === id)).toMatchObject({
      lastSeq: total,
      unread: total,
    });
  });
});

describe('a conversation from before the counter moved', { timeout: 120_000 }, () => {
  it('continues its sequence from the seq on the conversation, also under concurrent first sends', async () => {
    const id = await newGroup('legacy');
    expect(await sendAll('s0', id, 0, 2)).toEqual([1, 2]);
    // As such a conversation was stored: the counter on the conversation document (here at 3: a
    // seq reserved whose writer died, so the old counter is ahead of the log), no counter document.
    const lastMessageAt = new Date();
    await f.db.collection('conversation_seqs').deleteOne({ _id: id as never });
    await f.db
      .collection('conversations')
      .updateOne({ _id: id as never }, { $set: { seq: 3, seqAt: new Date(), lastMessageAt } });

    const before = (await f.call('bob', 'GET', `/conversations/${id}`)).json();
    expect(before).toMatchObject({ lastSeq: 3, lastMessageAt: lastMessageAt.toISOString() });
    const sidebar = (await f.call('bob', 'GET', '/conversations')).json();
    expect(sidebar.conversations.find((c: { id: string }) => c.id === id)).toMatchObject({
      lastSeq: 3,
      unread: 2,
    });

    // Its first sends since the move, at once: they continue after 3 (no seq handed out twice).
    const sent = await Promise.all(SENDERS.map((user) => sendAll(user, id, 1, 2)));
    expect(sent.flat().sort((a, b) => a - b)).toEqual(range(4, 3 + SENDERS.length * 2));
    const counter = await f.db.collection('conversation_seqs').findOne({ _id: id as never });
    expect(counter?.seq).toBe(3 + SENDERS.length * 2);
    // The old field is never written again; readers use the counter.
    expect((await f.db.collection('conversations').findOne({ _id: id as never }))?.seq).toBe(3);
    expect((await f.call('bob', 'GET', `/conversations/${id}`)).json().lastSeq).toBe(3 + SENDERS.length * 2);
    expect(await changeSeqs(id, 3)).toEqual(range(4, 3 + SENDERS.length * 2));
  });
});
