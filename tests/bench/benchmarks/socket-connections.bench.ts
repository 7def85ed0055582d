/**
 * Issue 15's idle-connections benchmark: CONNECTIONS authenticated socket.io connections held by
 * one socket replica process (services/socket/src/main.ts, each connection's token verified,
 * its rooms joined from messaging, its presence kept in Redis), against a raw `ws` server process
 * holding as many plain websockets, measured in the same run. The figure is the growth of each
 * process's resident memory per connection once the connections are open and idle.
 *
 * Goal: all 19,000 connections held (the per-process file limit here is 20,000), at <= 2.5 x the
 * raw ws server's memory per connection (ratio ws / socket >= 0.4).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { ServiceProcess } from '../../integration/service-process.ts';
import { type Listening, serveJwks, startSocketProcess } from '../../integration/socket-processes.ts';
import { openSocketBackend, type SocketBackend } from '../../integration/socket-stack.ts';
import type { Benchmark } from '../harness.ts';

const CONNECTIONS = Number(process.env.PARLEY_BENCH_SOCKET_CONNECTIONS ?? 19_000);
/** Connections opened at once: each costs the replica a membership read from messaging. */
const CONNECTING_AT_ONCE = 16;
const SETTLE_MS = 5_000;
const progress = (text: string) => process.stderr.write(`  socket-connections: ${text}\n`);

/** The replica's V8 heap in use, from its own /metrics (prom-client's default metrics). */
async function heapUsedBytes(url: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const line = text.split('\n').find((l) => /^\w*nodejs_heap_size_used_bytes /.test(l));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** Opens `count` connections, `atOnce` at a time; returns how many opened. */
async function openAll(
  count: number,
  atOnce: number,
  open: (i: number) => Promise<boolean>,
): Promise<number> {
  let next = 0;
  let opened = 0;
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      while (next < count) {
        const i = next++;
        if (await open(i)) opened += 1;
        if (i > 0 && i % 2_000 === 0) progress(`${i} of ${count}`);
      }
    }),
  );
  return opened;
}

/** A plain websocket server in a process of its own, on the same Node, doing nothing but hold. */
async function startRawWsServer(): Promise<{ pid: number; port: number; stop(): void }> {
  const script = `
    const { WebSocketServer } = require(${JSON.stringify(createRequire(import.meta.url).resolve('ws'))});
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('listening', () => process.stdout.write(String(server.address().port) + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`raw ws server exited with ${code}`)));
  });
  return { pid: child.pid as number, port, stop: () => child.kill('SIGKILL') };
}

const benchmark: Benchmark = {
  name: 'socket-idle-connections',
  goal: '19,000 connections on one replica at <= 2.5 x raw ws memory per connection (ratio >= 0.4)',
  minRatio: 0.4,
  needsStack: true,
  async run() {
    const backend: SocketBackend = await openSocketBackend();
    let jwks: Listening | undefined;
    let replica: ServiceProcess | undefined;
    let raw: Awaited<ReturnType<typeof startRawWsServer>> | undefined;
    const sockets: Socket[] = [];
    const plain: WebSocket[] = [];
    try {
      jwks = await serveJwks(backend.jwks);
      replica = await startSocketProcess(backend, jwks, 'bench-idle');
      const pid = replica.pid;
      progress(`replica up (pid ${pid}); opening ${CONNECTIONS} connections`);
      // Warm the replica's paths (JIT, pools) with a few connections before the baseline.
      const connect = async (i: number) => {
        const token = await backend.token(backend.tenant, `idle-${i}`, `s-idle-${i}`);
        const socket = io(replica?.url as string, {
          auth: { token },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          timeout: 60_000,
        });
        sockets.push(socket);
        return new Promise<boolean>((resolve) => {
          socket.once('session.ready', () => resolve(true));
          socket.once('connect_error', () => resolve(false));
          socket.once('disconnect', () => resolve(false));
        });
      };
      await openAll(50, 8, (i) => connect(CONNECTIONS + i));
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const socketBefore = await residentBytes(pid);
      const heapBefore = await heapUsedBytes(replica.url);
      const opened = await openAll(CONNECTIONS, CONNECTING_AT_ONCE, connect);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const socketAfter = await residentBytes(pid);
      const heapAfter = await heapUsedBytes(replica.url);
      const held = sockets.filter((s) => s.connected).length - 50;
      progress(`socket.io: ${held} held; raw ws next`);
      for (const socket of sockets) socket.close();

      raw = await startRawWsServer();
      const rawUrl = `ws://127.0.0.1:${raw.port}`;
      const openPlain = () =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(rawUrl);
          plain.push(ws);
          ws.once('open', () => resolve(true));
          ws.once('error', () => resolve(false));
        });
      await openAll(50, 8, openPlain);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const rawBefore = await residentBytes(raw.pid);
      const rawOpened = await openAll(CONNECTIONS, CONNECTING_AT_ONCE, openPlain);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const rawAfter = await residentBytes(raw.pid);

      const socketPer = (socketAfter - socketBefore) / Math.max(1, held);
      const rawPer = (rawAfter - rawBefore) / Math.max(1, rawOpened);
      return {
        parley: {
          label: 'socket replica memory per connection (inverse)',
          value: 1e6 / socketPer,
          unit: 'connections/MB',
        },
        reference: {
          label: 'raw ws server memory per connection (inverse)',
          value: 1e6 / rawPer,
          unit: 'connections/MB',
        },
        goalMet: held >= CONNECTIONS && rawPer / socketPer >= 0.4,
        details: {
          connectionsAsked: CONNECTIONS,
          socketOpened: opened,
          socketHeld: held,
          socketKBPerConnection: Number((socketPer / 1024).toFixed(1)),
          socketHeapKBPerConnection: Number(((heapAfter - heapBefore) / Math.max(1, held) / 1024).toFixed(1)),
          rawOpened,
          rawKBPerConnection: Number((rawPer / 1024).toFixed(1)),
          socketRssMB: Number((socketAfter / 2 ** 20).toFixed(0)),
          rawRssMB: Number((rawAfter / 2 ** 20).toFixed(0)),
        },
      };
    } finally {
      for (const socket of sockets) socket.close();
      for (const ws of plain) ws.terminate();
      raw?.stop();
      await replica?.stop().catch(() => {});
      await jwks?.close();
      await backend.close();
    }
  },
};

export default benchmark;
