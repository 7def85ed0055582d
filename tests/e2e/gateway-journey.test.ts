/**
 * The kind CI workflow's end-to-end journey (gateway-journey.ts), run here against the gateway in
 * front of real auth, compliance and messaging on the local stack, through the same command line
 * CI calls (journey.ts as a child process); and a journey that must fail does (a wrong operator
 * credential), so CI's step can go red.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack } from '../integration/gateway-stack.ts';

const run = promisify(execFile);
const cli = join(import.meta.dirname, 'journey.ts');
let stack: GatewayStack;

beforeAll(async () => {
  stack = await openGatewayStack();
});

afterAll(async () => {
  await stack?.close();
});

const journey = (operatorToken: string) =>
  run(process.execPath, [
    cli,
    '--gateway',
    stack.gateway.url,
    '--auth',
    stack.authUrl,
    '--tenant',
    stack.tenantA,
    '--operator-token',
    operatorToken,
  ]);

describe('the end-to-end journey through the gateway', () => {
  it('signs a new member in, sends and reads back a message, and is refused without a token', async () => {
    const { stdout } = await journey(SERVICE_TOKEN);
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^ok: e2e-[0-9a-f]{8}@.* invited, accepted and signed in through the gateway$/),
      expect.stringMatching(/^ok: a channel opened, a message sent and read back/),
      'ok: reading without a token is refused (401)',
    ]);
  });

  it('fails, naming the step, when a step is refused', async () => {
    await expect(journey('not-the-operator-credential')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('end-to-end journey failed: auth did not invite'),
    });
  });
});
