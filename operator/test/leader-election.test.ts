/**
 * Two real operator processes (node operator/src/main.ts) with leader election on a Lease: one
 * leads and reconciles, the other waits; when the leader stops (SIGTERM: it drains and releases
 * the Lease), the standby takes over and reconciles what comes next.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disposableTenant,
  ensureCrdsAndNamespace,
  kubectl,
  kubectlOk,
  REPO_ROOT,
  removeTenantTopics,
  sample,
  uniqueId,
  waitFor,
  waitForCondition,
} from './operator-fixture.ts';

const namespace = uniqueId('ople-');
const leaseName = 'parley-operator-leader';
const created: string[] = [];
const processes = new Map<string, { child: ChildProcess; port: number; exited: Promise<number | null> }>();

function startProcess(identity: string, port: number): void {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'operator', 'src', 'main.ts')], {
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      OPERATOR_IDENTITY: identity,
      OPERATOR_NAMESPACE: namespace,
      OPERATOR_WATCH_NAMESPACE: namespace,
      OPERATOR_LEADER_ELECTION: 'true',
      OPERATOR_LEASE_DURATION_MS: '4000',
      OPERATOR_RENEW_DEADLINE_MS: '3000',
      OPERATOR_RETRY_PERIOD_MS: '500',
      OPERATOR_RESYNC_MS: '5000',
      AUTH_SERVICE_URL: 'http://127.0.0.1:1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  processes.set(identity, { child, port, exited });
}

async function holder(): Promise<string | undefined> {
  const result = await kubectl([
    'get',
    'lease',
    '-n',
    namespace,
    leaseName,
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  return result.code === 0 && result.stdout ? result.stdout : undefined;
}

async function leaderGauge(port: number): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = /^parley_operator_leader_info (\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

beforeAll(async () => {
  await ensureCrdsAndNamespace(namespace);
  startProcess('replica-a', await freePort());
  startProcess('replica-b', await freePort());
}, 60_000);

afterAll(async () => {
  // Whoever leads now cleans the tenants up, then every process stops.
  await kubectl(['delete', '-n', namespace, 'tenants', '--all', '--timeout=60s']);
  for (const { child, exited } of processes.values()) {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
  await removeTenantTopics(created);
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
}, 120_000);

describe('two operator processes', { timeout: 180_000 }, () => {
  it('elect one leader; it reconciles, and the standby takes over when it stops', async () => {
    const first = await waitFor('a leader', holder, 60_000, 250);
    const standby = first === 'replica-a' ? 'replica-b' : 'replica-a';
    const leaderProcess = processes.get(first);
    const standbyProcess = processes.get(standby);
    if (!leaderProcess || !standbyProcess) throw new Error(`unknown holder ${first}`);
    await waitFor(
      'both processes serving metrics',
      async () => (await leaderGauge(standbyProcess.port)) !== undefined,
      60_000,
      500,
    );
    expect(await leaderGauge(leaderProcess.port)).toBe(1);
    expect(await leaderGauge(standbyProcess.port)).toBe(0);

    const one = uniqueId('tl');
    created.push(one);
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', one, disposableTenant),
    );
    await waitForCondition(namespace, `tenant/${one}`, 'Ready', 'True', 90_000);
    // The standby still holds back.
    expect(await holder()).toBe(first);
    expect(await leaderGauge(standbyProcess.port)).toBe(0);

    leaderProcess.child.kill('SIGTERM');
    expect(await leaderProcess.exited).toBe(0);
    await waitFor('the standby to take the lease', async () => (await holder()) === standby, 30_000, 250);
    await waitFor(
      'the standby to lead',
      async () => (await leaderGauge(standbyProcess.port)) === 1,
      30_000,
      250,
    );

    const two = uniqueId('tl');
    created.push(two);
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', two, disposableTenant),
    );
    await waitForCondition(namespace, `tenant/${two}`, 'Ready', 'True', 90_000);
    // The new leader's metrics show its reconciles, their durations and the queue.
    const metrics = await (await fetch(`http://127.0.0.1:${standbyProcess.port}/metrics`)).text();
    expect(metrics).toMatch(/^parley_operator_reconciles_total\{kind="Tenant",result="success"\} [1-9]/m);
    expect(metrics).toMatch(/^parley_operator_reconcile_duration_seconds_count\{kind="Tenant"\} [1-9]/m);
    expect(metrics).toMatch(/^parley_operator_queue_depth_items\{kind="Tenant"\} \d+/m);
    expect(metrics).toMatch(
      /^parley_operator_tenant_step_duration_seconds_count\{step="KafkaTopics",status="True"\} [1-9]/m,
    );
    const transitions = await kubectlOk([
      'get',
      'lease',
      '-n',
      namespace,
      leaseName,
      '-o',
      'jsonpath={.spec.leaseTransitions}',
    ]);
    expect(Number(transitions)).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
