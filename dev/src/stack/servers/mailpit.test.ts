import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../settings.ts';
import { ensureStackUp, stackEnv, stopStack } from '../index.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The first line an SMTP server says on connect. */
function smtpGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(3000, () => socket.destroy(new Error('no SMTP greeting')));
    socket.once('data', (data) => {
      socket.end('QUIT\r\n');
      resolve(data.toString('utf8'));
    });
    socket.on('error', reject);
  });
}

// Mailpit alone, in a run dir and on ports of its own (the shared stack's are left alone).
describe('Mailpit in the stack', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'parley-mailpit-'));
  let settings: ReturnType<typeof loadSettings> | undefined;

  afterAll(async () => {
    if (settings) await stopStack(settings);
    rmSync(runDir, { recursive: true, force: true });
  }, 60_000);

  it('starts, greets on SMTP and serves its API where the stack env says', async () => {
    const defaults = loadSettings();
    settings = {
      ...defaults,
      runDir,
      ports: { ...defaults.ports, mailpitSmtp: await freePort(), mailpitHttp: await freePort() },
    };
    const { env } = await ensureStackUp({ settings, install: false, only: ['mailpit'] });
    expect(env).toMatchObject(stackEnv(settings));
    expect(env.SMTP_PORT).toBe(String(settings.ports.mailpitSmtp));
    expect(await smtpGreeting(Number(env.SMTP_PORT))).toMatch(/^220 /);
    const listed = await fetch(`${env.MAILPIT_URL}/api/v1/messages`);
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { total: number }).total).toBe(0);
  }, 60_000);
});
