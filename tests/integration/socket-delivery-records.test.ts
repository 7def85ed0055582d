// New messages reach the sockets straight from their Kafka records: a replica opens the sealed
// body (its data key unwrapped by the crypto service, which lets the socket service's credential
// do that and nothing else) and emits the change as messaging's `changes` shows it, with no read
// from messaging; every other change (an edit here) is still read from messaging. What must hold
// on that path: nothing lost, nothing twice, seq order, exactly messaging's shape, and nobody but
// the conversation's current members gets anything (a stranger, another tenant, a removed member).
// Real servers: two replicas, messaging with its outbox relay, the crypto service, Kafka, Redis.
import { randomUUID } from 'node:crypto';
import type { Change } from '@parley/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Client, openSocketStack, type SocketStack, waitFor } from './socket-stack.ts';

let stack: SocketStack;
const id = randomUUID().slice(0, 6);
const alice = `alice-${id}`;
const bob = `bob-${id}`;
const carol = `carol-${id}`;
const dave = `dave-${id}`;
let first: string;
let second: string;
let aliceA: Client;
let bobB: Client;
let carolB: Client;
let daveB: Client;
let eveB: Client;

const send = (conversationId: string, text: string) =>
  stack.call(alice, 'POST', `/conversations/${conversationId}/messages`, {
    clientMessageId: randomUUID(),
    text,
  });
const created = (client: Client, conversationId: string) =>
  client.received.filter((r) => r.conversationId === conversationId && r.change.kind === 'message.created');
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

/** Replica B's count of live changes by where their content came from. */
async function deliveredByB(source: 'record' | 'read'): Promise<number> {
  const text = await fetch(`${stack.replicaB.url}/metrics`).then((r) => r.text());
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`parley_socket_delivered_changes_total{source="${source}"}`));
  return Number(line?.split(' ').at(-1) ?? 0);
}

beforeAll(async () => {
  stack = await openSocketStack();
  first = (
    await stack.call(alice, 'POST', '/conversations', { kind: 'group', name: 'one', memberIds: [bob, carol] })
  ).id;
  second = (
    await stack.call(alice, 'POST', '/conversations', { kind: 'group', name: 'two', memberIds: [bob] })
  ).id;
  aliceA = await stack.connect(stack.replicaA.url, alice);
  bobB = await stack.connect(stack.replicaB.url, bob);
  carolB = await stack.connect(stack.replicaB.url, carol);
  daveB = await stack.connect(stack.replicaB.url, dave);
  eveB = await stack.connect(stack.replicaB.url, `eve-${id}`, { tenant: stack.otherTenant });
  for (const c of [first, second]) bobB.live.track(c, 0);
  carolB.live.track(first, 0);
  aliceA.live.track(first, 0);
}, 240_000);

afterAll(async () => {
  await stack?.close();
}, 120_000);

it('a burst of new messages reaches a member on the other replica once each, in order, as messaging shows them; strangers get none', async () => {
  const fromRecordsBefore = await deliveredByB('record');
  const sent = Array.from({ length: 30 }, (_, i) => ({
    conversationId: i % 2 ? second : first,
    text: `burst ${i}`,
  }));
  // Six sends in flight at a time: changes of one conversation land on several partitions.
  for (let i = 0; i < sent.length; i += 6)
    await Promise.all(sent.slice(i, i + 6).map((m) => send(m.conversationId, m.text)));

  const all = () => [...created(bobB, first), ...created(bobB, second)];
  await waitFor(() => all().length >= sent.length, 30_000, 'bob to receive the burst');
  await settle();
  for (const conversationId of [first, second]) {
    const live = created(bobB, conversationId);
    expect(live.map((r) => r.change.message?.text).sort()).toEqual(
      sent
        .filter((m) => m.conversationId === conversationId)
        .map((m) => m.text)
        .sort(),
    );
    const seqs = live.map((r) => r.change.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Exactly what messaging's own read answers the member for each of those seqs.
    const read = await stack.call(bob, 'GET', `/conversations/${conversationId}/changes?since=0&limit=200`);
    const bySeq = new Map((read.changes as Change[]).map((c) => [c.seq, c]));
    for (const r of live) expect(r.change).toEqual(bySeq.get(r.change.seq));
  }
  // Replica B built them from the records (and read none of them).
  expect((await deliveredByB('record')) - fromRecordsBefore).toBeGreaterThanOrEqual(sent.length);
  expect(carolB.received.filter((r) => r.conversationId === second)).toEqual([]);
  expect(daveB.received).toEqual([]);
  expect(eveB.received).toEqual([]);
}, 120_000);

it('a removed member gets nothing sent after its removal; an edit, read from messaging, reaches the members', async () => {
  await stack.call(alice, 'DELETE', `/conversations/${first}/members/${carol}`);
  await waitFor(() => carolB.live.lastSeq(first) === undefined, 20_000, 'carol to learn she was removed');
  const carolHad = carolB.received.length;
  const readsBefore = await deliveredByB('read');
  const after: { id: string }[] = [];
  for (let i = 0; i < 5; i += 1) after.push(await send(first, `after carol ${i}`));
  const edited = after[0]?.id;
  await stack.call(alice, 'PATCH', `/conversations/${first}/messages/${edited}`, { text: 'edited' });
  await waitFor(
    () => bobB.received.some((r) => r.change.kind === 'message.edited' && r.change.messageId === edited),
    20_000,
    'bob to receive the edit',
  );
  await settle();
  expect(
    created(bobB, first)
      .map((r) => r.change.message?.text)
      .filter((t) => t?.startsWith('after carol')),
  ).toEqual(after.map((_, i) => `after carol ${i}`));
  expect(bobB.received.find((r) => r.change.kind === 'message.edited')?.change.message?.text).toBe('edited');
  expect(carolB.received.length).toBe(carolHad);
  expect(daveB.received).toEqual([]);
  expect(eveB.received).toEqual([]);
  expect((await deliveredByB('read')) - readsBefore).toBeGreaterThanOrEqual(1);
}, 120_000);
