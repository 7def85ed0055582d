/**
 * The first admins' invitations through the real auth service (services/auth, started here as
 * its own process): while the auth service is not there, the Invitations condition says so and
 * the Tenant is not Ready; once it answers, the next reconcile invites both admins and the
 * Tenant becomes Ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@parley/kit/testing';
import { describe, expect, it } from 'vitest';
import { kubectlOk, REPO_ROOT, sample, uniqueId, waitFor, waitForCondition } from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

const tenant = uniqueId('ti');
let authPort: number;
let auth: ChildProcess | undefined;
/** What the auth process printed (warnings and errors), shown when it never became ready. */
let authOutput = '';

const suite = operatorSuite({
  prefix: 'opti-',
  // The port the auth process will listen on, chosen before the operator starts.
  prepare: async () => {
    authPort = await freePort();
  },
  settings: () => ({ AUTH_SERVICE_URL: `http://127.0.0.1:${authPort}` }),
  setupTimeoutMs: 60_000,
  cleanupTimeoutMs: 120_000,
  afterTenantsDeleted: async () => {
    if (auth && auth.exitCode === null) {
      auth.kill('SIGTERM');
      await new Promise((r) => auth?.once('exit', r));
    }
  },
});
const { namespace } = suite;
suite.track(tenant);

describe('invitations for spec.admins', { timeout: 300_000 }, () => {
  it('say honestly that the auth service is missing, then converge once it answers', async () => {
    const withDelete = (yaml: string) => yaml.replace('deletionPolicy: Retain', 'deletionPolicy: Delete');
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', tenant, withDelete),
    );
    const before = await waitForCondition(namespace, `tenant/${tenant}`, 'Invitations', 'False', 60_000);
    const invitations = before.find((c) => c.type === 'Invitations');
    expect(invitations?.reason).toBe('AuthServiceUnavailable');
    expect(invitations?.message).toMatch(
      /did not answer \(ECONNREFUSED\); 2 admin invitation\(s\) not sent yet/,
    );
    expect(before.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'AuthServiceUnavailable',
    });
    // Everything else is provisioned meanwhile.
    expect(before.find((c) => c.type === 'KafkaTopics')?.status).toBe('True');

    auth = spawn(process.execPath, [join(REPO_ROOT, 'services', 'auth', 'src', 'main.ts')], {
      env: { ...process.env, PORT: String(authPort), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      authOutput = (authOutput + chunk.toString()).slice(-8_000);
    };
    auth.stdout?.on('data', keep);
    auth.stderr?.on('data', keep);
    // The auth process starts under whatever load the rest of the suite puts on the machine: wait
    // for it to be ready before giving the operator its deadline to converge.
    await waitFor(
      'the auth service to be ready',
      async () => {
        if (auth?.exitCode !== null) throw new Error(`auth exited with ${auth?.exitCode}:\n${authOutput}`);
        const response = await fetch(`http://127.0.0.1:${authPort}/ready`);
        return response.ok;
      },
      120_000,
      500,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nauth output:\n${authOutput}`);
    });
    const after = await waitForCondition(namespace, `tenant/${tenant}`, 'Ready', 'True', 120_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\nauth output:\n${authOutput}`);
      },
    );
    expect(after.find((c) => c.type === 'Invitations')).toMatchObject({ status: 'True', reason: 'Invited' });
    expect(after.find((c) => c.type === 'Invitations')?.message).toMatch(/2 admin\(s\) invited/);
    const stored = await waitFor('the invitations in the auth service', async () => {
      const docs = await suite.op.clients.mongo.client
        .db(`parley_${tenant}`)
        .collection('invitations')
        .find()
        .toArray();
      return docs.length === 2 ? docs : undefined;
    });
    expect(stored.map((d) => d.email).sort()).toEqual([`alice@${tenant}.example`, `bob@${tenant}.example`]);
  }, 300_000);
});
