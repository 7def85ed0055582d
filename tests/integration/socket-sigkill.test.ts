// Two socket replicas as separate OS processes (main.ts, as pods run them) behind a balancer;
// messages flow without pause while replica A is killed with SIGKILL (nothing drained, no goodbye
// to its clients). A's clients reconnect through the balancer to B and receive every message,
// in order and exactly once, recovered by seq from messaging's history; B's own client never
// notices; nobody sees a presence flap (the moved users read online throughout).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServiceProcess } from './service-process.ts';
import { type Listening, openBalancer, serveJwks, startSocketProcess } from './socket-processes.ts';
import { type Client, openSocketBackend, type SocketBackend, waitFor } from './socket-stack.ts';

let backend: SocketBackend;
let jwks: Listening;
let balancer: Listening;
let replicaA: ServiceProcess;
let replicaB: ServiceProcess;

beforeAll(async () => {
  backend = await openSocketBackend();
  jwks = await serveJwks(backend.jwks);
  [replicaA, replicaB] = await Promise.all([
    startSocketProcess(backend, jwks, 'proc-a'),
    startSocketProcess(backend, jwks, 'proc-b'),
  ]);
  // The balancer prefers A while it lives: every client through it lands on A until A dies.
  balancer = await openBalancer([replicaA.port, replicaB.port]);
}, 240_000);

afterAll(async () => {
  backend?.closeClients();
  await balancer?.close();
  await replicaA?.kill('SIGKILL');
  await replicaB?.stop();
  await jwks?.close();
  await backend?.close();
}, 120_000);

it('clients of a SIGKILLed replica process recover every message on the other, in order, once', async () => {
  const id = randomUUID().slice(0, 6);
  const sender = `sender-${id}`;
  const onA = [`a1-${id}`, `a2-${id}`, `a3-${id}`];
  const onB = `b1-${id}`;
  const conversation = await backend.call(sender, 'POST', '/conversations', {
    kind: 'group',
    name: 'sigkill',
    memberIds: [...onA, onB],
  });
  const clients: Client[] = [];
  for (const user of onA) clients.push(await backend.connect(balancer.url, user));
  const bClient = await backend.connect(replicaB.url, onB);
  clients.push(bClient);
  for (const client of clients) client.live.track(conversation.id, 0);

  const sent: string[] = [];
  const send = async (text: string) => {
    await backend.call(sender, 'POST', `/conversations/${conversation.id}/messages`, {
      clientMessageId: randomUUID(),
      text,
    });
    sent.push(text);
  };
  const texts = (client: Client) =>
    client.received.filter((r) => r.change.kind === 'message.created').map((r) => r.change.message?.text);

  // Both processes deliver live (a probe reaches a client of each) before the test proper starts.
  for (let probe = 1; ; probe += 1) {
    await send(`probe ${probe}`);
    const live = () =>
      texts(clients[0] as Client).includes(`probe ${probe}`) && texts(bClient).includes(`probe ${probe}`);
    const deadline = Date.now() + 3_000;
    while (!live() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (live()) break;
    if (probe > 20) throw new Error('the replica processes never delivered live');
  }

  // Messages flow without pause; A dies in the middle of it.
  let flowing = true;
  const flow = (async () => {
    for (let i = 1; flowing; i += 1) await send(`m ${i}`);
  })();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await replicaA.kill('SIGKILL');
  const killedAt = Date.now();
  for (const client of clients.slice(0, 3))
    await waitFor(() => client.readyCount >= 2, 30_000, `${client.userId} reconnected to B`);
  const reconnectedMs = Date.now() - killedAt;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  flowing = false;
  await flow;

  for (const client of clients)
    await waitFor(
      () => texts(client).length >= sent.length,
      30_000,
      `${client.userId} to have all ${sent.length}`,
    );
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(sent.filter((t) => t.startsWith('m ')).length).toBeGreaterThan(10);
  for (const client of clients) {
    expect(texts(client)).toEqual(sent);
    const seqs = client.received.map((r) => r.change.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }
  expect(bClient.readyCount).toBe(1); // B's own client was never disconnected
  // The moved users never read offline to anyone (they were back within the grace period).
  expect(bClient.presence.filter((p) => onA.includes(p.userId) && p.status === 'offline')).toEqual([]);
  console.info(`SIGKILL: ${sent.length} messages, A's clients back on B after ${reconnectedMs} ms`);
});
