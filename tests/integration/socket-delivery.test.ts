// The realtime path end to end on real servers: two socket replicas (two ports, one Redis
// adapter), messaging publishing through its outbox to the real Kafka, clients on socket.io-client
// through @parley/socket-client. Each isolation promise is tested by attempting the attack.
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, openSocketStack, type SocketStack, waitFor } from './socket-stack.ts';

let stack: SocketStack;
const id = randomUUID().slice(0, 6);
const alice = `alice-${id}`;
const bob = `bob-${id}`;
const carol = `carol-${id}`;
const dave = `dave-${id}`;
let conversationId: string;
let aliceA: Client;
let bobB: Client;
let carolA: Client;
let daveB: Client;

const send = (text: string) =>
  stack.call(alice, 'POST', `/conversations/${conversationId}/messages`, {
    clientMessageId: randomUUID(),
    text,
  });
const texts = (client: Client) =>
  client.received
    .filter((r) => r.conversationId === conversationId && r.change.kind === 'message.created')
    .map((r) => r.change.message?.text);
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

beforeAll(async () => {
  stack = await openSocketStack();
  const created = await stack.call(alice, 'POST', '/conversations', {
    kind: 'group',
    name: 'realtime',
    memberIds: [bob, carol],
  });
  conversationId = created.id;
  aliceA = await stack.connect(stack.replicaA.url, alice);
  bobB = await stack.connect(stack.replicaB.url, bob);
  carolA = await stack.connect(stack.replicaA.url, carol);
  daveB = await stack.connect(stack.replicaB.url, dave);
  for (const c of [aliceA, bobB, carolA]) c.live.track(conversationId, 0);
}, 240_000);

afterAll(async () => {
  await stack?.close();
}, 120_000);

describe('socket delivery across replicas', () => {
  it('a message sent by a user on replica A reaches a member on replica B once, in order', async () => {
    for (let i = 1; i <= 10; i += 1) await send(`hello ${i}`);
    const expected = Array.from({ length: 10 }, (_, i) => `hello ${i + 1}`);
    await waitFor(() => texts(bobB).length >= 10, 20_000, 'bob to receive 10 messages');
    await waitFor(() => texts(carolA).length >= 10, 20_000, 'carol to receive 10 messages');
    await settle();
    expect(texts(bobB)).toEqual(expected);
    expect(texts(carolA)).toEqual(expected);
    const seqs = bobB.received.map((r) => r.change.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('edits, reactions and deletes reach every member in seq order', async () => {
    const message = await send('to change');
    await stack.call(alice, 'PATCH', `/conversations/${conversationId}/messages/${message.id}`, {
      text: 'changed',
    });
    await stack.call(
      bob,
      'PUT',
      `/conversations/${conversationId}/messages/${message.id}/reactions/${encodeURIComponent('👍')}`,
    );
    await stack.call(alice, 'DELETE', `/conversations/${conversationId}/messages/${message.id}`);
    for (const client of [bobB, carolA, aliceA]) {
      await waitFor(
        () =>
          client.received.some(
            (r) => r.change.kind === 'message.deleted' && r.change.messageId === message.id,
          ),
        20_000,
        `${client.userId} to see the delete`,
      );
      const kinds = client.received
        .filter((r) => r.change.messageId === message.id)
        .map((r) => r.change.kind);
      expect(kinds).toEqual(['message.created', 'message.edited', 'reaction.added', 'message.deleted']);
    }
  });

  it('a non-member and a user of another tenant receive nothing and cannot get in by any event', async () => {
    const eve = await stack.connect(stack.replicaA.url, `eve-${id}`, { tenant: stack.otherTenant });
    await send('members only');
    await waitFor(() => texts(bobB).includes('members only'), 20_000, 'bob to receive');
    await settle();
    expect(daveB.received).toEqual([]);
    expect(eve.received).toEqual([]);
    // Asking for the history by sync: messaging answers as the caller, who is not a member.
    for (const outsider of [daveB, eve]) {
      const answer = await outsider.live.socket.emitWithAck('sync', {
        conversations: [{ conversationId, since: 0 }],
      });
      expect(answer).toMatchObject({
        ok: true,
        conversations: [{ conversationId, changes: [], notMember: true }],
      });
      for (const event of ['join', 'subscribe', 'rooms.join', 'conversation.join']) {
        const refused = await outsider.live.socket.emitWithAck(event, {
          conversationId,
          room: `t:${stack.tenant}:conv:${conversationId}`,
        });
        expect(refused).toMatchObject({ ok: false, error: { type: 'unknown-event' } });
      }
    }
    await send('still members only');
    await waitFor(() => texts(bobB).includes('still members only'), 20_000, 'bob to receive');
    await settle();
    expect(daveB.received).toEqual([]);
    expect(eve.received).toEqual([]);
    expect(eve.live.connected).toBe(true);
  });

  it('a member added while connected receives without reconnecting; a removed member stops', async () => {
    const readyBefore = daveB.readyCount;
    await stack.call(alice, 'POST', `/conversations/${conversationId}/members`, { userId: dave });
    await waitFor(() => daveB.live.lastSeq(conversationId) !== undefined, 20_000, 'dave to learn he joined');
    await send('welcome dave');
    await waitFor(() => texts(daveB).includes('welcome dave'), 20_000, 'dave to receive');
    expect(daveB.readyCount).toBe(readyBefore);

    await stack.call(alice, 'DELETE', `/conversations/${conversationId}/members/${bob}`);
    await waitFor(
      () => bobB.live.lastSeq(conversationId) === undefined,
      20_000,
      'bob to learn he was removed',
    );
    const bobHad = bobB.received.length;
    await send('after bob left');
    await waitFor(() => texts(daveB).includes('after bob left'), 20_000, 'dave to receive');
    await settle();
    expect(bobB.received.length).toBe(bobHad);
  });

  it('a malformed event gets an error acknowledgement and the socket stays', async () => {
    const socket = carolA.live.socket;
    for (const bad of [
      { conversations: 'all' },
      { conversations: [{ conversationId, since: -1 }] },
      'x',
      null,
      { extra: 1 },
    ]) {
      const answer = await socket.emitWithAck('sync', bad);
      expect(answer).toMatchObject({ ok: false, error: { type: 'validation' } });
    }
    expect(socket.connected).toBe(true);
    const good = await socket.emitWithAck('sync', { conversations: [{ conversationId, since: 0 }] });
    expect(good.ok).toBe(true);
    expect(good.conversations[0].changes.length).toBeGreaterThan(10);
  });

  it('a burst of events past the per-socket limit is refused with rate-limited, the socket stays', async () => {
    const socket = aliceA.live.socket;
    const answers = await Promise.all(
      Array.from({ length: 80 }, () => socket.emitWithAck('no-such-event', {})),
    );
    const types = answers.map((a) => a.error?.type);
    expect(types).toContain('rate-limited');
    expect(types).toContain('unknown-event');
    expect(socket.connected).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the bucket refills
  });

  it('re-authentication takes a fresh token of the same session only', async () => {
    const fresh = await stack.token(stack.tenant, alice, aliceA.sessionId);
    await expect(aliceA.live.reauthenticate(fresh)).resolves.toBeUndefined();
    const otherUser = await stack.token(stack.tenant, carol, aliceA.sessionId);
    await expect(aliceA.live.reauthenticate(otherUser)).rejects.toMatchObject({ type: 'invalid-token' });
    const otherTenant = await stack.token(stack.otherTenant, alice, aliceA.sessionId);
    await expect(aliceA.live.reauthenticate(otherTenant)).rejects.toMatchObject({ type: 'invalid-token' });
    expect(aliceA.live.connected).toBe(true);
  });

  it('an oversized frame closes only that socket; the replica keeps serving', async () => {
    const big = await stack.connect(stack.replicaA.url, `big-${id}`);
    const closed = new Promise<string>((resolve) =>
      big.live.socket.once('disconnect', (reason) => resolve(reason)),
    );
    big.live.socket.emit('sync', { conversations: [], padding: 'x'.repeat(200_000) });
    expect(await closed).toBeTruthy();
    const after = await stack.connect(stack.replicaA.url, `after-${id}`);
    expect(after.live.connected).toBe(true);
    expect(aliceA.live.connected).toBe(true);
  });

  it('a handshake without a valid token is refused', async () => {
    const refused = await new Promise<string>((resolve) => {
      const socket = io(stack.replicaB.url, {
        transports: ['websocket'],
        auth: { token: 'not-a-token' },
        forceNew: true,
        reconnection: false,
      });
      socket.on('connect_error', (error) => {
        socket.close();
        resolve((error as Error & { data?: { type?: string } }).data?.type ?? error.message);
      });
      socket.on('connect', () => {
        socket.close();
        resolve('connected');
      });
    });
    expect(refused).toBe('invalid-token');
  });

  it('recovery: a client offline while messages were sent gets them on reconnect, in order, once', async () => {
    carolA.live.close();
    for (let i = 1; i <= 5; i += 1) await send(`while away ${i}`);
    const before = texts(carolA).length;
    carolA.live.connect();
    await waitFor(() => texts(carolA).length >= before + 5, 20_000, 'carol to recover');
    await settle();
    const all = texts(carolA);
    expect(all.slice(before)).toEqual([1, 2, 3, 4, 5].map((i) => `while away ${i}`));
    const seqs = carolA.received.map((r) => r.change.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('a revoked session is disconnected within 2 s', async () => {
    const started = Date.now();
    await stack.revoke(stack.tenant, daveB.sessionId, dave);
    await waitFor(() => !daveB.live.connected, 5_000, 'dave disconnected');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(daveB.ended).toEqual(['revoked']);
  });
});
