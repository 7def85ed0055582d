/**
 * The operator chart on the real API server: it renders for every ci/ values file, ships the
 * same CRDs as k8s/crds, and its RBAC is both sufficient and least-privilege: the operator,
 * running with nothing but the chart's ServiceAccount token, provisions a Tenant to Ready, while
 * that account is refused what the operator never needs (reading, listing or deleting Secrets
 * where the Tenants are, Pods, other Leases) and, through the chart's ValidatingAdmissionPolicy,
 * any write of a Secret that is not its own. Installed in one namespace, watching another, so
 * the operator's own namespace (its credential stores) and the Tenants' are told apart.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiStatus, connectKube, type Kube } from '../src/manager/kube-client.ts';
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
  waitFor,
  waitForCondition,
} from './operator-fixture.ts';

const execFileAsync = promisify(execFile);
const chart = join(REPO_ROOT, 'charts', 'parley-operator');
const namespace = uniqueId('opch-');
const tenantNamespace = uniqueId('opcht-');
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

/** `resource/name` asks of one object; `resource#sub` of a subresource (kubectl's --subresource). */
async function canI(verb: string, resource: string, ns = tenantNamespace): Promise<boolean> {
  const [kind = '', subresource] = resource.split('#');
  const args = ['auth', 'can-i', verb, kind, '-n', ns, '--as', serviceAccount];
  if (subresource) args.push(`--subresource=${subresource}`);
  const result = await kubectl(args);
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
  await ensureCrdsAndNamespace(tenantNamespace);
  await helm([
    'install',
    release,
    chart,
    '-n',
    namespace,
    '--set',
    `watchNamespace=${tenantNamespace}`,
    '--set',
    'replicaCount=1',
    '--set',
    'global.imageRegistry=registry.example.com',
    // The pods never run here (no kubelet), so the Secrets they would read are not made.
    '--set',
    'global.verifySecrets=false',
  ]);
}, 120_000);

afterAll(async () => {
  if (op) {
    await kubectl(['delete', '-n', tenantNamespace, 'tenant', tenant, '--timeout=60s']);
    await op.stop();
  }
  await removeTenantTopics([tenant]);
  await helm(['uninstall', release, '-n', namespace]).catch(() => '');
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  await kubectl(['delete', 'namespace', tenantNamespace, '--wait=false']);
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
    expect(await canI('patch', 'tenants.parley.dev#status')).toBe(true);
    expect(await canI('patch', 'keyrotationschedules.parley.dev#status')).toBe(true);
    expect(await canI('update', 'tenants.parley.dev#status')).toBe(false);
    expect(await canI('create', 'secrets')).toBe(true);
    expect(await canI('update', 'secrets')).toBe(true);
    expect(await canI('create', 'events.events.k8s.io')).toBe(true);
    expect(await canI('get', `leases.coordination.k8s.io/${fullname}-leader`, namespace)).toBe(true);
    expect(await canI('get', 'secrets', namespace)).toBe(true); // its credential stores only

    // Where the Tenants are, no Secret is ever read: the operator writes the tenant's Secret blind.
    expect(await canI('get', 'secrets')).toBe(false);
    expect(await canI('list', 'secrets')).toBe(false);
    expect(await canI('watch', 'secrets')).toBe(false);
    expect(await canI('delete', 'secrets')).toBe(false);
    expect(await canI('list', 'secrets', namespace)).toBe(false);
    expect(await canI('delete', 'tenants.parley.dev')).toBe(false);
    expect(await canI('get', 'pods')).toBe(false);
    expect(await canI('update', 'leases.coordination.k8s.io/someone-elses-lease', namespace)).toBe(false);
    expect(await canI('get', 'tenants.parley.dev', 'default')).toBe(false); // namespace-scoped install
  });

  it('is enough: the operator with only the chart ServiceAccount provisions a Tenant to Ready', async () => {
    op = await startTestOperator(tenantNamespace, {
      KUBECONFIG: await serviceAccountKubeconfig(),
      OPERATOR_LEADER_ELECTION: 'true',
      OPERATOR_NAMESPACE: namespace,
      OPERATOR_LEASE_NAME: `${fullname}-leader`,
      OPERATOR_RETRY_PERIOD_MS: '500',
    });
    await kubectlOk(
      ['apply', '-n', tenantNamespace, '-f', '-'],
      await sample('tenant-acme.yaml', tenant, disposableTenant),
    );
    const conditions = await waitForCondition(tenantNamespace, `tenant/${tenant}`, 'Ready', 'True', 90_000);
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

  it("the operator's ServiceAccount cannot read, create, overwrite or delete a Secret that is not its own", async () => {
    const asOperator = connectKube(await serviceAccountKubeconfig());
    // An application's Secret next to the Tenant, made by someone else.
    await kubectlOk([
      'create',
      'secret',
      'generic',
      'app-db',
      '-n',
      tenantNamespace,
      '--from-literal=password=app-secret',
    ]);
    const refused = async (call: (kube: Kube) => Promise<unknown>): Promise<number | undefined> => {
      try {
        await call(asOperator);
        return undefined;
      } catch (error) {
        return apiStatus(error);
      }
    };
    const secret = (
      name: string,
      labels: Record<string, string>,
      extra: Partial<V1Secret['metadata']> = {},
    ) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: tenantNamespace, labels, ...extra },
      stringData: { password: 'operator-wrote-this' },
    });
    const own = { 'app.kubernetes.io/managed-by': 'parley-operator', 'parley.dev/tenant': tenant };

    expect(
      await refused((k) => k.core.readNamespacedSecret({ namespace: tenantNamespace, name: 'app-db' })),
    ).toBe(403);
    // Overwrite it, plainly or relabelled as the operator's own: the policy refuses both.
    expect(
      await refused((k) =>
        k.core.replaceNamespacedSecret({
          namespace: tenantNamespace,
          name: 'app-db',
          body: secret('app-db', {}),
        }),
      ),
    ).toBe(403);
    expect(
      await refused((k) =>
        k.core.replaceNamespacedSecret({
          namespace: tenantNamespace,
          name: 'app-db',
          body: secret('app-db', own),
        }),
      ),
    ).toBe(403);
    // A Secret of another name, or the tenant's name without its Tenant as owner.
    expect(
      await refused((k) =>
        k.core.createNamespacedSecret({ namespace: tenantNamespace, body: secret('stolen', own) }),
      ),
    ).toBe(403);
    expect(
      await refused((k) =>
        k.core.createNamespacedSecret({
          namespace: tenantNamespace,
          body: secret(`parley-tenant-${tenant}x-credentials`, { ...own, 'parley.dev/tenant': `${tenant}x` }),
        }),
      ),
    ).toBe(403);
    expect(
      await refused((k) => k.core.deleteNamespacedSecret({ namespace: tenantNamespace, name: 'app-db' })),
    ).toBe(403);
    const after = JSON.parse(
      await kubectlOk(['get', 'secret', 'app-db', '-n', tenantNamespace, '-o', 'json']),
    ) as V1Secret;
    expect(Buffer.from(after.data?.password ?? '', 'base64').toString()).toBe('app-secret');
    expect(after.metadata?.labels ?? {}).toEqual({});

    // Its own Secret it still writes: deleted by hand, it comes back at the next reconcile.
    await kubectlOk(['delete', 'secret', `parley-tenant-${tenant}-credentials`, '-n', tenantNamespace]);
    const back = await waitFor(
      'the tenant Secret to be written again',
      async () =>
        (await kubectl(['get', 'secret', `parley-tenant-${tenant}-credentials`, '-n', tenantNamespace]))
          .code === 0,
      60_000,
      500,
    );
    expect(back).toBe(true);
  });
});
