// A recovery that fails is tried again. The benchmark's "lost" messages were one conversation
// whose gap-filling `sync` failed once under load (messaging too slow, the acknowledgement timed
// out): the client library never asked again, so that conversation's changes waited in its
// buffer for good. Here messaging (behind a proxy the test controls) answers the recovering
// user's reads 503 for a while; the client must get everything once it answers again, in order,
// once, without a reconnect or a new message to wake it.
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { ACTING_USER_HEADER } from '@parley/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Client, openSocketStack, type SocketStack, waitFor } from './socket-stack.ts';

let stack: SocketStack;
let proxy: Server;
let messagingUrl: URL | undefined;
/** Reads of changes acting as this user are refused (503) while it is set. */
let refuseChangesOf: string | undefined;
let refused = 0;

const id = randomUUID().slice(0, 6);
const alice = `alice-${id}`;
const bob = `bob-${id}`;

beforeAll(async () => {
  // The replicas reach messaging only through this proxy.
  proxy = createServer((incoming, outgoing) => {
    const actingUser = incoming.headers[ACTING_USER_HEADER.toLowerCase()];
    if (refuseChangesOf && actingUser === refuseChangesOf && /\/changes\?/.test(incoming.url ?? '')) {
      refused += 1;
      outgoing
        .writeHead(503, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ type: 'about:blank', title: 'unavailable', status: 503 }));
      return;
    }
    const target = messagingUrl as URL;
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (!address || typeof address === 'string') throw new Error('no proxy address');
  stack = await openSocketStack({ settings: { MESSAGING_URL: `http://127.0.0.1:${address.port}` } });
  messagingUrl = new URL(stack.messagingUrl);
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
  refuseChangesOf = bob;
  const readyBefore = bobB.readyCount;
  bobB.live.socket.connect();
  await waitFor(() => bobB.readyCount > readyBefore, 20_000, 'bob reconnected');
  // Refused until the client itself has seen its recovery fail (the replica's own retries of
  // the read to messaging are used up by then).
  await waitFor(() => bobB.errors.length > 0, 30_000, "bob's recovery failing");
  expect(refused).toBeGreaterThan(0);
  expect(texts(bobB)).toEqual([]);

  // Messaging answers again: the client asks again by itself (no reconnect, no new message).
  refuseChangesOf = undefined;
  await waitFor(() => texts(bobB).length >= 3, 60_000, 'bob to recover after the failure');
  expect(bobB.readyCount).toBe(readyBefore + 1);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(texts(bobB)).toEqual(['missed 1', 'missed 2', 'missed 3']);
}, 120_000);
