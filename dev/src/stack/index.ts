// The stack's programmatic API, used by the CLI, the vitest global setup and the bench harness.
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { loadSettings, type Settings } from '../settings.ts';
import { installedPaths } from './catalog.ts';
import { connectionEnv } from './env.ts';
import { installStack } from './install.ts';
import { withStackLock } from './lock.ts';
import { formatDuration, say } from './output.ts';
import { waitUntilReady } from './probes.ts';
import { isAlive, launch, logFile, readPid, stopProcess } from './processes.ts';
import type { ServerDefinition, StackContext } from './server.ts';
import { servers } from './servers/index.ts';

export { loadSettings, type Settings } from '../settings.ts';
export { servers } from './servers/index.ts';

export interface StackUp {
  /** Connection settings (MONGO_URL, REDIS_URL, KAFKA_*, ELASTICSEARCH_URL, S3_*, KUBECONFIG, ...). */
  env: Record<string, string>;
  /** True when no server was running before this call, so the caller owns the stack's lifetime. */
  startedHere: boolean;
}

function context(settings: Settings = loadSettings()): StackContext {
  const installed = installedPaths(settings);
  return { settings, installed, env: connectionEnv(settings, installed) };
}

/** The stack's connection settings; pure, works whether or not the stack runs. */
export function stackEnv(settings: Settings = loadSettings()): Record<string, string> {
  return context(settings).env;
}

/**
 * Installs what is missing (fast when cached), then starts every server that is not running and
 * returns once each answers a real request. Servers already up are reused.
 */
export async function ensureStackUp(
  options: {
    install?: boolean;
    settings?: Settings /** Only these servers (and what they need). */;
    only?: string[];
  } = {},
): Promise<StackUp> {
  const ctx = context(options.settings);
  if (options.install !== false) await installStack(ctx.settings);
  return withStackLock(ctx.settings.runDir, async () => {
    const runningBefore = servers.filter((s) => isAlive(readPid(ctx.settings.runDir, s.name)));
    const started = Date.now();
    try {
      await startAll(ctx, options.only);
    } catch (error) {
      if (runningBefore.length === 0) await stopAll(ctx);
      throw error;
    }
    say(
      `stack up: ${options.only?.length ? options.only.join(', ') : `${servers.length} servers`} ready in ${formatDuration(Date.now() - started)} (run dir ${ctx.settings.runDir})`,
    );
    return { env: ctx.env, startedHere: runningBefore.length === 0 };
  });
}

/** Stops every server (dependents first) and leaves no process behind. */
export async function stopStack(settings: Settings = loadSettings()): Promise<void> {
  const ctx = context(settings);
  await withStackLock(ctx.settings.runDir, () => stopAll(ctx));
}

export interface ServerStatus {
  name: string;
  pid: number | undefined;
  state: 'ready' | 'not answering' | 'stopped';
  endpoint: string;
  log: string;
}

export async function stackStatus(settings: Settings = loadSettings()): Promise<ServerStatus[]> {
  const ctx = context(settings);
  return Promise.all(
    servers.map(async (server) => {
      const record = readPid(ctx.settings.runDir, server.name);
      const alive = isAlive(record);
      let state: ServerStatus['state'] = 'stopped';
      if (alive)
        state = (await server.probe(ctx).then(
          () => true,
          () => false,
        ))
          ? 'ready'
          : 'not answering';
      return {
        name: server.name,
        pid: alive ? record.pid : undefined,
        state,
        endpoint: server.endpoint(ctx),
        log: logFile(ctx.settings.runDir, server.name),
      };
    }),
  );
}

async function startAll(ctx: StackContext, only?: string[]): Promise<void> {
  // Each server starts as soon as its dependencies answer; independent ones start together.
  const ready = new Map<string, Promise<void>>();
  const startOne = (server: ServerDefinition): Promise<void> => {
    let promise = ready.get(server.name);
    if (!promise) {
      promise = (async () => {
        await Promise.all(server.dependsOn.map((dep) => startOne(byName(dep))));
        await startServer(ctx, server);
      })();
      ready.set(server.name, promise);
    }
    return promise;
  };
  const wanted = only?.length ? only.map(byName) : servers;
  const results = await Promise.allSettled(wanted.map(startOne));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new Error(
      `stack up failed:\n${failures.map((f) => `  ${(f.reason as Error).message}`).join('\n')}`,
    );
  }
}

async function startServer(ctx: StackContext, server: ServerDefinition): Promise<void> {
  const { runDir } = ctx.settings;
  const probe = () => server.probe(ctx);
  if (isAlive(readPid(runDir, server.name))) {
    await waitUntilReady(server.name, probe, server.readyTimeoutMs);
    return;
  }
  const port = Number(/:(\d+)/.exec(server.endpoint(ctx))?.[1]);
  if (port && (await portAnswers(port))) {
    throw new Error(
      `${server.name}: port ${port} is taken by a process this stack did not start (set PARLEY_STACK_PORT_OFFSET)`,
    );
  }
  const started = Date.now();
  const dataDir = join(runDir, server.name);
  mkdirSync(dataDir, { recursive: true });
  await server.prepare(ctx, dataDir);
  const { exited } = launch(runDir, server.name, server.command(ctx, dataDir));
  try {
    await waitUntilReady(server.name, probe, server.readyTimeoutMs, exited);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${logTail(runDir, server.name)}`);
  }
  say(`  ✓ ${server.name} ready on ${server.endpoint(ctx)} (${formatDuration(Date.now() - started)})`);
}

async function stopAll(ctx: StackContext): Promise<void> {
  // Reverse dependency order: a server stops only after everything that uses it.
  const stopped = new Map<string, Promise<void>>();
  const stopOne = (server: ServerDefinition): Promise<void> => {
    let promise = stopped.get(server.name);
    if (!promise) {
      promise = (async () => {
        const dependents = servers.filter((s) => s.dependsOn.includes(server.name));
        await Promise.all(dependents.map(stopOne));
        if (await stopProcess(ctx.settings.runDir, server.name, server.stopSignal))
          say(`  ✓ ${server.name} stopped`);
      })();
      stopped.set(server.name, promise);
    }
    return promise;
  };
  await Promise.all(servers.map(stopOne));
}

function byName(name: string): ServerDefinition {
  const server = servers.find((s) => s.name === name);
  if (!server) throw new Error(`unknown server ${name}`);
  return server;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

export function logTail(runDir: string, name: string, lines = 30): string {
  try {
    const text = readFileSync(logFile(runDir, name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `last lines of ${logFile(runDir, name)}:\n${text}`;
  } catch {
    return `(no log at ${logFile(runDir, name)})`;
  }
}
