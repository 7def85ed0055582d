// A replica's connections die mid-conversation, abruptly (TCP reset, no socket.io close, as when
// the process is SIGKILLed): its clients reconnect through the same address, which a proxy (the
// load balancer here) now routes to the other replica, and receive everything sent meanwhile, in
// order and once, recovered from messaging's history.
import { randomUUID } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Client, openSocketStack, type SocketStack, waitFor } from './socket-stack.ts';

let stack: SocketStack;
let proxy: Server;
let target: URL;
const open = new Set<Socket>();

beforeAll(async () => {
  stack = await openSocketStack();
  target = new URL(stack.replicaA.url);
  proxy = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
}, 240_000);

afterAll(async () => {
  for (const s of open) s.destroy();
  proxy?.close();
  await stack?.close();
}, 120_000);

it('clients of a dead replica reconnect to the other and recover in order, once', async () => {
  const id = randomUUID().slice(0, 6);
  const sender = `sender-${id}`;
  const readers = [`r1-${id}`, `r2-${id}`, `r3-${id}`];
  const conversation = await stack.call(sender, 'POST', '/conversations', {
    kind: 'group',
    name: 'failover',
    memberIds: readers,
  });
  const address = proxy.address();
  if (!address || typeof address === 'string') throw new Error('no proxy address');
  const url = `http://127.0.0.1:${address.port}`;
  const clients: Client[] = [];
  for (const reader of readers) {
    const client = await stack.connect(url, reader);
    client.live.track(conversation.id, 0);
    clients.push(client);
  }
  const send = (text: string) =>
    stack.call(sender, 'POST', `/conversations/${conversation.id}/messages`, {
      clientMessageId: randomUUID(),
      text,
    });
  const texts = (client: Client) =>
    client.received.filter((r) => r.change.kind === 'message.created').map((r) => r.change.message?.text);

  for (let i = 1; i <= 3; i += 1) await send(`before ${i}`);
  for (const client of clients)
    await waitFor(() => texts(client).length >= 3, 20_000, 'live before the failure');

  // Replica A dies: every connection through it is reset; the balancer now sends to B.
  target = new URL(stack.replicaB.url);
  for (const s of [...open]) s.resetAndDestroy();
  for (let i = 1; i <= 5; i += 1) await send(`during ${i}`);
  for (const client of clients) await waitFor(() => client.readyCount >= 2, 30_000, `${client.userId} back`);
  for (let i = 1; i <= 2; i += 1) await send(`after ${i}`);

  const expected = [
    ...[1, 2, 3].map((i) => `before ${i}`),
    ...[1, 2, 3, 4, 5].map((i) => `during ${i}`),
    ...[1, 2].map((i) => `after ${i}`),
  ];
  for (const client of clients) {
    await waitFor(() => texts(client).length >= expected.length, 30_000, `${client.userId} to recover`);
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  for (const client of clients) {
    expect(texts(client)).toEqual(expected);
    const seqs = client.received.map((r) => r.change.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  }
  // They are on replica B now.
  expect(stack.replicaB.replica.io.of('/').sockets.size).toBeGreaterThanOrEqual(readers.length);
});
