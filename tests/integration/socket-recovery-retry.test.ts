// A recovery that fails is tried again. The benchmark's "lost" messages were one conversation
// whose gap-filling `sync` failed once under load (messaging too slow, the acknowledgement timed
// out): the client library never asked again, so that conversation's changes waited in its
// buffer for good. Here messaging (behind a proxy the test controls) answers the recovering
// user's reads 503 for a while; the client must get everything once it answers again, in order,
// once, without a reconnect or a new message to wake it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRefusingMessagingProxy, type RefusingMessagingProxy } from './refusing-messaging-proxy.ts';
import { type Client, openSocketStack, type SocketStack, waitFor } from './socket-stack.ts';

let stack: SocketStack;
let proxy: RefusingMessagingProxy;

const id = randomUUID().slice(0, 6);
const alice = `alice-${id}`;
const bob = `bob-${id}`;

beforeAll(async () => {
  // The replicas reach messaging only through this proxy.
  proxy = await openRefusingMessagingProxy();
  stack = await openSocketStack({ settings: { MESSAGING_URL: proxy.url } });
  proxy.target = new URL(stack.messagingUrl);
}, 240_000);

afterAll(async () => {
  await stack?.close();
  proxy?.close();
}, 120_000);

it('a recovery that failed is retried until it succeeds: nothing stays missing', async () => {
  const { id: conversationId } = await stack.call(alice, 'POST', '/conversations', {
    kind: 'group',
    name: 'retry',
    memberIds: [bob],
  });
  const texts = (client: Client) =>
    client.received
      .filter((r) => r.conversationId === conversationId && r.change.kind === 'message.created')
      .map((r) => r.change.message?.text);
  await stack.connect(stack.replicaA.url, alice);
  const bobB = await stack.connect(stack.replicaB.url, bob);
  bobB.live.track(conversationId, 0);

  // Bob is away while Alice writes; when he comes back, messaging refuses his reads.
  bobB.live.socket.disconnect();
  for (let i = 1; i <= 3; i += 1)
    await stack.call(alice, 'POST', `/conversations/${conversationId}/messages`, {
      clientMessageId: randomUUID(),
      text: `missed ${i}`,
    });
  proxy.refuseChangesOf = bob;
  const readyBefore = bobB.readyCount;
  bobB.live.socket.connect();
  await waitFor(() => bobB.readyCount > readyBefore, 20_000, 'bob reconnected');
  // Refused until the client itself has seen its recovery fail (the replica's own retries of
  // the read to messaging are used up by then).
  await waitFor(() => bobB.errors.length > 0, 30_000, "bob's recovery failing");
  expect(proxy.refused).toBeGreaterThan(0);
  expect(texts(bobB)).toEqual([]);

  // Messaging answers again: the client asks again by itself (no reconnect, no new message).
  proxy.refuseChangesOf = undefined;
  await waitFor(() => texts(bobB).length >= 3, 60_000, 'bob to recover after the failure');
  expect(bobB.readyCount).toBe(readyBefore + 1);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(texts(bobB)).toEqual(['missed 1', 'missed 2', 'missed 3']);
}, 120_000);
