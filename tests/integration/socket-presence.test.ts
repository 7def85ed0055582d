// Presence, typing indicators and read receipts across two socket replicas (real Redis adapter,
// real messaging), and the attacks on them: a user of another tenant (with the very same user id
// as a member) and a non-member of the same tenant connect, ask and forge, and must never receive
// the conversation's presence, typing or receipts; forged tenant and user fields are refused.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, openSocketStack, type SocketStack, waitFor } from './socket-stack.ts';

let stack: SocketStack;
const id = randomUUID().slice(0, 6);
const alice = `alice-${id}`;
const bob = `bob-${id}`;
const carol = `carol-${id}`;
const dave = `dave-${id}`;
let group: string;
let channel: string;
let bobB: Client;
let carolA: Client;
let daveB: Client;
/** Tenant B's user whose id is bob's: only the token's tenant tells them apart. */
let otherBobA: Client;
let aliceA: Client;

const GRACE_MS = 1_000;
const settle = (ms = 1_200) => new Promise((resolve) => setTimeout(resolve, ms));
const about = (client: Client, userId: string) => client.presence.filter((p) => p.userId === userId);
const ack = (client: Client, event: string, payload: unknown) =>
  client.live.socket.timeout(5_000).emitWithAck(event, payload) as Promise<{
    ok: boolean;
    error?: { type: string };
  }>;

beforeAll(async () => {
  stack = await openSocketStack({
    settings: { PRESENCE_GRACE_MS: GRACE_MS, PRESENCE_BATCH_MS: 200, PRESENCE_TTL_MS: 3_000 },
  });
  group = (
    await stack.call(alice, 'POST', '/conversations', { kind: 'group', name: 'g', memberIds: [bob, carol] })
  ).id;
  channel = (
    await stack.call(alice, 'POST', '/conversations', { kind: 'channel', name: `c-${id}`, memberIds: [bob] })
  ).id;
  bobB = await stack.connect(stack.replicaB.url, bob);
  carolA = await stack.connect(stack.replicaA.url, carol);
  daveB = await stack.connect(stack.replicaB.url, dave);
  otherBobA = await stack.connect(stack.replicaA.url, bob, { tenant: stack.otherTenant });
  await settle();
}, 240_000);

afterAll(async () => {
  await stack?.close();
}, 120_000);

describe('presence', () => {
  it('a member coming online is announced once to those who share a conversation, on both replicas', async () => {
    aliceA = await stack.connect(stack.replicaA.url, alice);
    await waitFor(
      () => about(bobB, alice).length > 0 && about(carolA, alice).length > 0,
      10_000,
      'alice online',
    );
    await settle();
    expect(about(bobB, alice)).toEqual([{ userId: alice, status: 'online' }]);
    expect(about(carolA, alice)).toEqual([{ userId: alice, status: 'online' }]);
    // A stranger of the same tenant, and tenant B's "bob", hear nothing about alice.
    expect(about(daveB, alice)).toEqual([]);
    expect(about(otherBobA, alice)).toEqual([]);
  });

  it('away on one device, online again; a second device changes nothing while one is online', async () => {
    await aliceA.live.setPresence('away');
    await waitFor(() => about(bobB, alice).at(-1)?.status === 'away', 10_000, 'alice away');
    const second = await stack.connect(stack.replicaB.url, alice);
    await settle();
    // One device online makes the user online.
    expect(about(bobB, alice).at(-1)?.status).toBe('online');
    second.live.close();
    await waitFor(() => about(bobB, alice).at(-1)?.status === 'away', 10_000, 'alice away again');
    await aliceA.live.setPresence('online');
    await waitFor(() => about(bobB, alice).at(-1)?.status === 'online', 10_000, 'alice online again');
    expect(about(daveB, alice)).toEqual([]);
    expect(about(otherBobA, alice)).toEqual([]);
  });

  it("answers a conversation's members' presence to a member, and nothing to strangers", async () => {
    const presence = await bobB.live.presenceOf(group);
    expect(new Map(presence.map((p) => [p.userId, p.status]))).toEqual(
      new Map([
        [alice, 'online'],
        [bob, 'online'],
        [carol, 'online'],
      ]),
    );
    for (const stranger of [daveB, otherBobA]) {
      expect(await ack(stranger, 'presence.query', { conversationId: group })).toMatchObject({
        ok: false,
        error: { type: 'not-member' },
      });
    }
  });

  it('a reconnect within the grace period is no flap; a real departure is offline once', async () => {
    const before = about(bobB, alice).length;
    aliceA.live.socket.disconnect();
    await settle(GRACE_MS / 4);
    aliceA.live.socket.connect();
    await aliceA.ready();
    await settle(GRACE_MS * 2);
    expect(about(bobB, alice).length).toBe(before);

    aliceA.live.close();
    await waitFor(() => about(bobB, alice).at(-1)?.status === 'offline', 10_000, 'alice offline');
    await waitFor(() => about(carolA, alice).at(-1)?.status === 'offline', 10_000, 'alice offline for carol');
    await settle();
    expect(about(bobB, alice).filter((p) => p.status === 'offline')).toHaveLength(1);
    expect(about(daveB, alice)).toEqual([]);
    expect(about(otherBobA, alice)).toEqual([]);
    aliceA = await stack.connect(stack.replicaA.url, alice);
  });
});

describe('typing', () => {
  const typingOf = (client: Client) => client.typing.filter((t) => t.conversationId === group);

  it('reaches the other members on both replicas, throttled, and stops or expires', async () => {
    await aliceA.live.typing(group);
    await waitFor(() => bobB.live.typingIn(group).includes(alice), 5_000, 'bob sees alice typing');
    await waitFor(() => carolA.live.typingIn(group).includes(alice), 5_000, 'carol sees alice typing');
    // Keystrokes within the throttle are acknowledged but not repeated.
    for (let i = 0; i < 5; i += 1) await aliceA.live.typing(group);
    await settle(300);
    expect(typingOf(bobB)).toHaveLength(1);
    // The typist's own devices are not told.
    expect(typingOf(aliceA)).toEqual([]);
    await aliceA.live.typing(group, false);
    await waitFor(() => bobB.live.typingIn(group).length === 0, 5_000, 'alice stopped');
    // An indicator nobody renews expires by itself.
    await carolA.live.typing(group);
    await waitFor(() => bobB.live.typingIn(group).includes(carol), 5_000, 'bob sees carol typing');
    await waitFor(() => !bobB.live.typingIn(group).includes(carol), 10_000, "carol's indicator to expire");
    expect(typingOf(daveB)).toEqual([]);
    expect(otherBobA.typing).toEqual([]);
  });

  it('a non-member, another tenant and forged fields are refused; nothing reaches anyone', async () => {
    const bobBefore = typingOf(bobB).length;
    expect(await ack(daveB, 'typing', { conversationId: group })).toMatchObject({
      ok: false,
      error: { type: 'not-member' },
    });
    expect(await ack(otherBobA, 'typing', { conversationId: group })).toMatchObject({
      ok: false,
      error: { type: 'not-member' },
    });
    // A member naming someone else, or another tenant, in the event: refused by the schema.
    for (const forged of [
      { conversationId: group, userId: carol },
      { conversationId: group, tenant: stack.otherTenant },
      { conversationId: group, typing: 'yes' },
      { conversationId: 42 },
      'typing',
      null,
    ]) {
      expect(await ack(aliceA, 'typing', forged)).toMatchObject({ ok: false, error: { type: 'validation' } });
    }
    expect(await ack(aliceA, 'presence.set', { status: 'invisible' })).toMatchObject({
      ok: false,
      error: { type: 'validation' },
    });
    await settle(500);
    expect(typingOf(bobB).length).toBe(bobBefore);
    expect(typingOf(carolA).some((t) => t.userIds.includes(dave))).toBe(false);
    // The socket stays and answers a good event.
    expect(aliceA.live.connected).toBe(true);
    expect(await ack(aliceA, 'presence.set', { status: 'online' })).toMatchObject({ ok: true });
  });
});

describe('read receipts', () => {
  it("a member's read pointer reaches the group's members on both replicas, not strangers", async () => {
    let last = 0;
    for (let i = 0; i < 3; i += 1)
      last = (
        await stack.call(alice, 'POST', `/conversations/${group}/messages`, {
          clientMessageId: randomUUID(),
          text: `r${i}`,
        })
      ).seq;
    const pointer = await bobB.live.markRead(group, last);
    expect(pointer).toMatchObject({ conversationId: group, readSeq: last });
    const expected = { conversationId: group, userId: bob, readSeq: last };
    await waitFor(() => aliceA.reads.length > 0 && carolA.reads.length > 0, 5_000, 'the receipt');
    expect(aliceA.reads).toEqual([expected]);
    expect(carolA.reads).toEqual([expected]);
    // Never backwards: a lower seq answers the pointer where it is.
    expect(await bobB.live.markRead(group, 1)).toMatchObject({ readSeq: last });
    await settle(500);
    expect(daveB.reads).toEqual([]);
    expect(otherBobA.reads).toEqual([]);
  });

  it('refuses strangers and forged readers; a channel keeps receipts to the reader', async () => {
    const aliceBefore = aliceA.reads.length;
    expect(await ack(daveB, 'read', { conversationId: group, seq: 1 })).toMatchObject({
      error: { type: 'not-member' },
    });
    expect(await ack(otherBobA, 'read', { conversationId: group, seq: 1 })).toMatchObject({
      error: { type: 'not-member' },
    });
    expect(await ack(carolA, 'read', { conversationId: group, seq: 1, userId: bob })).toMatchObject({
      error: { type: 'validation' },
    });
    expect(await ack(carolA, 'read', { conversationId: group, seq: -1 })).toMatchObject({
      error: { type: 'validation' },
    });
    const sent = await stack.call(alice, 'POST', `/conversations/${channel}/messages`, {
      clientMessageId: randomUUID(),
      text: 'to the channel',
    });
    await bobB.live.markRead(channel, sent.seq);
    await waitFor(
      () => bobB.reads.some((r) => r.conversationId === channel),
      5_000,
      "bob's own devices told",
    );
    await settle(500);
    expect(aliceA.reads.length).toBe(aliceBefore);
    expect(daveB.reads).toEqual([]);
    expect(otherBobA.reads).toEqual([]);
  });
});
