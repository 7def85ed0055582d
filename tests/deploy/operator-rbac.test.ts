/**
 * The operator chart's RBAC in its cluster-wide mode (watchNamespace empty) and with
 * `rbac.create=false`. The namespaced mode, with the operator provisioning a Tenant on nothing
 * but the chart's ServiceAccount and the Lease it leads by, is operator/test/chart-rbac.test.ts.
 * Cluster-wide, the same rules become a ClusterRole: the account may watch Parley's kinds in any
 * namespace and write (never read) Secrets there, and still gets nothing else; its Lease and its
 * credential stores stay Roles in the release namespace. Asked of the API server with
 * `kubectl auth can-i --as` the ServiceAccount, on the chart installed for real.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartsDir, helm, kubectl, type Manifest, render } from './helm.ts';

const suffix = randomBytes(3).toString('hex');
const namespace = `parley-oprbac-${suffix}`;
const elsewhere = `parley-oprbac-other-${suffix}`;
const release = `o${suffix}`;
const fullname = `${release}-parley-operator`;
const chart = join(chartsDir, 'parley-operator');
const registry = 'global.imageRegistry=registry.example.com';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const rbacKinds = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];
const isHook = (m: Manifest) =>
  Boolean((m.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook']);

/** `resource/name` asks of one object; `resource#sub` of a subresource (kubectl's --subresource). */
async function canI(verb: string, resource: string, ns: string | undefined = elsewhere): Promise<boolean> {
  const scope = ns === undefined ? ['--all-namespaces'] : ['-n', ns];
  const [kind = '', subresource] = resource.split('#');
  const args = [
    'auth',
    'can-i',
    verb,
    kind,
    ...scope,
    '--as',
    `system:serviceaccount:${namespace}:${fullname}`,
  ];
  if (subresource) args.push(`--subresource=${subresource}`);
  // can-i exits 1 with "no".
  const answer = await kubectl(args).catch((error: { stdout?: string }) => error.stdout ?? '');
  return answer.trim() === 'yes';
}

beforeAll(async () => {
  await kubectl(['create', 'namespace', namespace]);
  await kubectl(['create', 'namespace', elsewhere]);
  await helm([
    'install',
    release,
    chart,
    '-n',
    namespace,
    '--set',
    registry,
    '--set',
    'replicaCount=1',
    // Its pods only go to kwok's nodes here: the Secrets they would read are not made.
    '--set',
    'global.verifySecrets=false',
  ]);
}, 120_000);

afterAll(async () => {
  await helm(['uninstall', release, '-n', namespace, '--no-hooks']).catch(() => '');
  await kubectl(['delete', 'namespace', namespace, elsewhere, '--wait=false']).catch(() => '');
}, 120_000);

describe('charts/parley-operator RBAC', { timeout: 120_000 }, () => {
  it('cluster-wide: the same rules as the namespaced Role, as a ClusterRole, and the rest stays in its namespace', async () => {
    const clusterWide = await render('parley-operator', { release, namespace, set: [registry] });
    const namespaced = await render('parley-operator', {
      release,
      namespace,
      set: [registry, `watchNamespace=${elsewhere}`],
    });
    const rulesOf = (manifests: Manifest[], kind: string) =>
      (manifests.find((m) => m.kind === kind && m.metadata.name === fullname) as Manifest & { rules: Rule[] })
        ?.rules;
    expect(rulesOf(clusterWide, 'ClusterRole')).toEqual(rulesOf(namespaced, 'Role'));
    expect(namespaced.filter((m) => m.kind === 'ClusterRole' && !isHook(m))).toEqual([]);
    // Leases and credential stores: Roles in the release namespace, in both modes.
    const roles = (manifests: Manifest[]) =>
      manifests
        .filter((m) => m.kind === 'Role' && m.metadata.name !== fullname)
        .map((m) => `${m.metadata.namespace ?? namespace}/${m.metadata.name}`);
    expect(roles(clusterWide).sort()).toEqual(
      [`${namespace}/${fullname}-credential-store`, `${namespace}/${fullname}-leader-election`].sort(),
    );
    expect(roles(namespaced)).toEqual(roles(clusterWide));
  });

  it('cluster-wide: watches and writes what it must in any namespace, and nothing more', async () => {
    expect(await canI('watch', 'tenants.parley.dev', undefined)).toBe(true);
    expect(await canI('list', 'keyrotationschedules.parley.dev', undefined)).toBe(true);
    expect(await canI('patch', 'retentionpolicies.parley.dev#status')).toBe(true);
    expect(await canI('update', 'tenants.parley.dev#finalizers')).toBe(true);
    // A subresource grants only itself: status, yes; an update of the whole Tenant, no.
    expect(await canI('update', 'tenants.parley.dev#status')).toBe(false);
    expect(await canI('create', 'secrets')).toBe(true);
    expect(await canI('create', 'events.events.k8s.io')).toBe(true);
    expect(await canI('get', `leases.coordination.k8s.io/${fullname}-leader`, namespace)).toBe(true);

    // Secrets in other namespaces are written blind, never read (the admission policy narrows
    // the writes to its own: chart-rbac.test.ts performs them).
    for (const verb of ['get', 'list', 'watch', 'delete'])
      expect(await canI(verb, 'secrets'), verb).toBe(false);
    expect(await canI('list', 'secrets', undefined)).toBe(false);
    expect(await canI('delete', 'tenants.parley.dev')).toBe(false);
    expect(await canI('create', 'tenants.parley.dev')).toBe(false);
    expect(await canI('update', 'tenants.parley.dev')).toBe(false);
    expect(await canI('get', 'pods')).toBe(false);
    expect(await canI('get', 'configmaps')).toBe(false);
    expect(await canI('create', 'leases.coordination.k8s.io')).toBe(false);
    expect(await canI('get', 'leases.coordination.k8s.io/someone-elses', namespace)).toBe(false);
    expect(await canI('get', 'customresourcedefinitions.apiextensions.k8s.io', undefined)).toBe(false);
    expect(await canI('list', 'nodes', undefined)).toBe(false);
    expect(await canI('create', 'clusterrolebindings.rbac.authorization.k8s.io', undefined)).toBe(false);
  });

  it('rbac.create=false: no Role, ClusterRole or binding of its own; the Secret admission policy stays', async () => {
    const manifests = await render('parley-operator', {
      release,
      namespace,
      set: [
        registry,
        'rbac.create=false',
        'serviceAccount.create=false',
        'serviceAccount.name=platform-operator',
      ],
    });
    // Only the CRD upgrade hook's own (a ClusterRole for get/patch of Parley's CRDs, while it runs).
    expect(manifests.filter((m) => rbacKinds.includes(m.kind) && !isHook(m))).toEqual([]);
    expect(manifests.filter((m) => m.kind === 'ServiceAccount' && !isHook(m))).toEqual([]);
    expect(manifests.map((m) => m.kind)).toEqual(
      expect.arrayContaining(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'Deployment']),
    );
    const deployment = manifests.find((m) => m.kind === 'Deployment') as Manifest & {
      spec: { template: { spec: { serviceAccountName: string } } };
    };
    expect(deployment.spec.template.spec.serviceAccountName).toBe('platform-operator');
    // The policy binds to the account the operator runs as, whoever made it.
    expect(JSON.stringify(manifests.filter((m) => m.kind.startsWith('ValidatingAdmissionPolicy')))).toContain(
      `system:serviceaccount:${namespace}:platform-operator`,
    );
  });
});
