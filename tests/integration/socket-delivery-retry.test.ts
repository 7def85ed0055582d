// A live delivery whose read from messaging fails is read again later. A replica emits a change
// only after reading it from messaging (which opens the sealed body); when that read failed
// (messaging down, slow, its breaker open) the change used to be dropped, and a member who got
// no later change of that conversation never learnt it was missing (the client library sees a
// gap only when a later seq arrives) until it reconnected: lost for as long as it stayed online.
// Here messaging (behind a proxy the test controls) refuses the replicas' reads of the sender's
// change for a while; the member online on the other replica must still get it, once, with no
// later message and no reconnect.
// A replica builds a new message from its Kafka record when it can open the body; here the crypto
// service answers 503 to everything, so the replicas cannot, and read each creation from messaging
// instead (what an unopenable record costs: a read, never a loss).
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRefusingMessagingProxy, type RefusingMessagingProxy } from './refusing-messaging-proxy.ts';
import { type Client, openSocketStack, type SocketStack, waitFor } from './socket-stack.ts';

let stack: SocketStack;
let proxy: RefusingMessagingProxy;
let cryptoDown: Server;

const id = randomUUID().slice(0, 6);
const alice = `alice-${id}`;
const bob = `bob-${id}`;

beforeAll(async () => {
  // The replicas reach messaging only through this proxy.
  proxy = await openRefusingMessagingProxy();
  cryptoDown = createServer((_request, response) => {
    response.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"status":503}');
  });
  await new Promise<void>((resolve) => cryptoDown.listen(0, '127.0.0.1', resolve));
  const cryptoUrl = `http://127.0.0.1:${(cryptoDown.address() as AddressInfo).port}`;
  stack = await openSocketStack({ settings: { MESSAGING_URL: proxy.url, CRYPTO_URL: cryptoUrl } });
  proxy.target = new URL(stack.messagingUrl);
}, 240_000);

afterAll(async () => {
  await stack?.close();
  proxy?.close();
  cryptoDown?.close();
}, 120_000);

it('a change whose live read failed reaches the online member once messaging answers again', async () => {
  const { id: conversationId } = await stack.call(alice, 'POST', '/conversations', {
    kind: 'group',
    name: 'delivery retry',
    memberIds: [bob],
  });
  const texts = (client: Client) =>
    client.received
      .filter((r) => r.conversationId === conversationId && r.change.kind === 'message.created')
      .map((r) => r.change.message?.text);
  await stack.connect(stack.replicaA.url, alice);
  const bobB = await stack.connect(stack.replicaB.url, bob);
  bobB.live.track(conversationId, 0);
  const send = (text: string) =>
    stack.call(alice, 'POST', `/conversations/${conversationId}/messages`, {
      clientMessageId: randomUUID(),
      text,
    });

  await send('first');
  await waitFor(() => texts(bobB).length >= 1, 20_000, 'bob to receive the first message live');

  // The replicas read each change as its actor: Alice's reads fail, Bob's own (a sync) do not.
  proxy.refuseChangesOf = alice;
  await send('last');
  // Both replicas' reads are refused (each tries 3 times), then nothing arrives by itself.
  await waitFor(() => proxy.refused >= 6, 30_000, 'the replicas to fail their reads');
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  expect(texts(bobB)).toEqual(['first']);

  proxy.refuseChangesOf = undefined;
  await waitFor(() => texts(bobB).length >= 2, 30_000, 'bob to receive the last message');
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(texts(bobB)).toEqual(['first', 'last']);
  expect(bobB.readyCount).toBe(1);
}, 120_000);
