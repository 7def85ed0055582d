/**
 * The operator chart on the real API server: it renders for every ci/ values file, ships the
 * same CRDs as k8s/crds, and its RBAC is both sufficient and least-privilege: the operator,
 * running with nothing but the chart's ServiceAccount token, provisions a Tenant to Ready, while
 * that account is refused what the operator never needs (listing or deleting Secrets, Pods,
 * other Leases).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disposableTenant,
  ensureCrdsAndNamespace,
  kubectl,
  kubectlOk,
  REPO_ROOT,
  removeTenantTopics,
  sample,
  startTestOperator,
  type TestOperator,
  uniqueId,
  waitForCondition,
} from './operator-fixture.ts';

const execFileAsync = promisify(execFile);
const chart = join(REPO_ROOT, 'charts', 'parley-operator');
const namespace = uniqueId('opch-');
const release = uniqueId('r');
const fullname = `${release}-parley-operator`;
const serviceAccount = `system:serviceaccount:${namespace}:${fullname}`;
const tenant = uniqueId('th');
let op: TestOperator | undefined;

async function helm(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.env.PARLEY_HELM ?? 'helm', args, {
    env: process.env,
    maxBuffer: 8 * 1024 * 1024,
  });
  return stdout;
}

async function canI(verb: string, resource: string, ns = namespace): Promise<boolean> {
  const result = await kubectl(['auth', 'can-i', verb, resource, '-n', ns, '--as', serviceAccount]);
  return result.stdout.trim() === 'yes';
}

/** A kubeconfig that authenticates as the chart's ServiceAccount and nothing else. */
async function serviceAccountKubeconfig(): Promise<string> {
  const admin = JSON.parse(await kubectlOk(['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { name: string; cluster: Record<string, string> }[];
  };
  const cluster = admin.clusters[0];
  if (!cluster) throw new Error('no cluster in the admin kubeconfig');
  const token = (await kubectlOk(['create', 'token', fullname, '-n', namespace, '--duration', '1h'])).trim();
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'parley', cluster: cluster.cluster }],
    users: [{ name: 'operator', user: { token } }],
    contexts: [{ name: 'operator', context: { cluster: 'parley', user: 'operator', namespace } }],
    'current-context': 'operator',
  };
  const path = join(tmpdir(), `${fullname}.kubeconfig`);
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

beforeAll(async () => {
  await ensureCrdsAndNamespace(namespace);
  await helm([
    'install',
    release,
    chart,
    '-n',
    namespace,
    '--set',
    `watchNamespace=${namespace}`,
    '--set',
    'replicaCount=1',
  ]);
}, 120_000);

afterAll(async () => {
  if (op) {
    await kubectl(['delete', '-n', namespace, 'tenant', tenant, '--timeout=60s']);
    await op.stop();
  }
  await removeTenantTopics([tenant]);
  await helm(['uninstall', release, '-n', namespace]).catch(() => '');
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
}, 120_000);

describe('charts/parley-operator', { timeout: 180_000 }, () => {
  it('renders every ci values file and ships the CRDs of k8s/crds unchanged', async () => {
    for (const file of await readdir(join(chart, 'ci'))) {
      const rendered = await helm([
        'template',
        't',
        chart,
        '-n',
        'parley-system',
        '-f',
        join(chart, 'ci', file),
      ]);
      expect(rendered).toContain('kind: Deployment');
    }
    for (const file of await readdir(join(REPO_ROOT, 'k8s', 'crds'))) {
      expect(await readFile(join(chart, 'crds', file), 'utf8')).toBe(
        await readFile(join(REPO_ROOT, 'k8s', 'crds', file), 'utf8'),
      );
    }
  });

  it('grants the operator what it uses and refuses what it does not', async () => {
    expect(await canI('watch', 'tenants.parley.dev')).toBe(true);
    expect(await canI('patch', 'tenants.parley.dev/status')).toBe(true);
    expect(await canI('patch', 'keyrotationschedules.parley.dev/status')).toBe(true);
    expect(await canI('create', 'secrets')).toBe(true);
    expect(await canI('create', 'events.events.k8s.io')).toBe(true);
    expect(await canI('get', `leases.coordination.k8s.io/${fullname}-leader`)).toBe(true);

    expect(await canI('list', 'secrets')).toBe(false);
    expect(await canI('delete', 'secrets')).toBe(false);
    expect(await canI('delete', 'tenants.parley.dev')).toBe(false);
    expect(await canI('get', 'pods')).toBe(false);
    expect(await canI('update', 'leases.coordination.k8s.io/someone-elses-lease')).toBe(false);
    expect(await canI('get', 'tenants.parley.dev', 'default')).toBe(false); // namespace-scoped install
  });

  it('is enough: the operator with only the chart ServiceAccount provisions a Tenant to Ready', async () => {
    op = await startTestOperator(namespace, {
      KUBECONFIG: await serviceAccountKubeconfig(),
      OPERATOR_LEADER_ELECTION: 'true',
      OPERATOR_NAMESPACE: namespace,
      OPERATOR_LEASE_NAME: `${fullname}-leader`,
      OPERATOR_RETRY_PERIOD_MS: '500',
    });
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', tenant, disposableTenant),
    );
    const conditions = await waitForCondition(namespace, `tenant/${tenant}`, 'Ready', 'True', 90_000);
    expect(conditions.every((c) => c.status === 'True')).toBe(true);
    expect(
      await kubectlOk([
        'get',
        'lease',
        '-n',
        namespace,
        `${fullname}-leader`,
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]),
    ).toMatch(/^test-/);
  });
});
