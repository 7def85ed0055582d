/**
 * The crypto service's own process, started as a deployment starts it: outside development it
 * refuses the public default credentials before it opens any connection.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function start(overrides: Record<string, string>) {
  const env: Record<string, string | undefined> = { ...process.env, ...overrides };
  delete env.SERVICE_TOKEN;
  delete env.SERVICE_TOKENS;
  for (const [name, value] of Object.entries(overrides)) env[name] = value;
  return promisify(execFile)(process.execPath, ['--disable-warning=TimeoutNegativeWarning', main], {
    env,
    timeout: 30_000,
  });
}

describe('crypto service start-up', () => {
  it('a service refuses to start in production with the default token', async () => {
    await expect(start({ PARLEY_ENV: 'production' })).rejects.toMatchObject({
      code: 78,
      stderr: expect.stringMatching(/SERVICE_TOKEN: is a public development default/),
    });
  });

  it('refuses the public default callers too, even with a credential of its own', async () => {
    await expect(
      start({ PARLEY_ENV: 'production', SERVICE_TOKEN: 'crypto-own-secret-0123456789abcdef' }),
    ).rejects.toMatchObject({ code: 78, stderr: expect.stringMatching(/SERVICE_TOKENS: holds a token/) });
  });
});
