/**
 * A Parley service started as its own process, exactly as `npm start` and a pod start it
 * (services/<name>/src/main.ts), on a free port, with the stack's settings from the environment.
 * What it printed is kept, so a test that fails because the service never became ready says why.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@parley/kit/testing';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface ServiceProcess {
  url: string;
  port: number;
  /** The OS process (a benchmark reads its memory from /proc). */
  pid: number;
  output(): string;
  stop(): Promise<void>;
  /** Ends it at once with `signal` (SIGKILL: a crash, nothing drained), and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startServiceProcess(
  name: string,
  env: Record<string, string> = {},
  readyTimeoutMs = 120_000,
): Promise<ServiceProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--disable-warning=TimeoutNegativeWarning', join(REPO_ROOT, 'services', name, 'src', 'main.ts')],
    {
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    url,
    port,
    pid: child.pid as number,
    output: () => output,
    async stop() {
      await service.kill('SIGTERM');
    },
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return service;
    await new Promise((r) => setTimeout(r, 500));
  }
  await service.stop();
  throw new Error(`${name} was not ready within ${readyTimeoutMs} ms:\n${output}`);
}
