/**
 * The operator chart's CRD upgrade path (templates/crd-upgrade.yaml) on the stack's control plane:
 * `helm install` creates crds/, and `helm upgrade` with a changed CRD runs the pre-upgrade hook
 * Job, whose server-side apply brings the CRD up to the chart's before the upgrade goes on.
 * A copy of the chart carries a CRD of this run's own (a group no one else uses), so the shared
 * apiserver's Parley CRDs are never touched. The stack runs no Job controller and no kubelet:
 * hook-job.ts runs the Job's kubectl as the Job's ServiceAccount (RBAC as the pod would have it)
 * and records the outcome in the Job's status; the pod's admission is checked on its own.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartsDir, helm, kubectl } from './helm.ts';
import { type PodTemplate, runKubectlHookJob } from './hook-job.ts';

const suffix = randomBytes(3).toString('hex');
const namespace = `parley-crdup-${suffix}`;
const release = `c${suffix}`;
const group = `crdup${suffix}.test.parley.dev`;
const crdName = `widgets.${group}`;
const hookName = `${release}-parley-operator-crd-upgrade`;
const chart = join(mkdtempSync(join(tmpdir(), 'parley-crd-upgrade-')), 'parley-operator');
// The hook's pod is held off kwok's nodes (no node has that label): the test does its work
// (hook-job.ts), and kwok must not complete it first. rollout.test.ts lets it run on the nodes.
const values = [
  '--set',
  'global.imageRegistry=registry.example.com',
  '--set',
  'global.verifySecrets=false',
  '--set',
  'nodeSelector.parley-test-hold=none',
];

/** The test CRD; `withColor` is the upgrade (a new field the old schema prunes). */
function widgetCrd(withColor: boolean): string {
  const color = withColor ? '\n                color: { type: string }' : '';
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${crdName}
spec:
  group: ${group}
  scope: Namespaced
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer }${color}
`;
}

const widget = `apiVersion: ${group}/v1
kind: Widget
metadata: { name: w }
spec: { size: 1, color: red }
`;

beforeAll(async () => {
  // The chart as it is (links followed), its CRDs replaced by this run's one.
  cpSync(join(chartsDir, 'parley-operator'), chart, { recursive: true, dereference: true });
  for (const file of readdirSync(join(chart, 'crds'))) rmSync(join(chart, 'crds', file));
  writeFileSync(join(chart, 'crds', 'widgets.yaml'), widgetCrd(false));
  await kubectl(['create', 'namespace', namespace]);
  await kubectl([
    'label',
    'namespace',
    namespace,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/enforce-version=latest',
  ]);
});

afterAll(async () => {
  await helm(['uninstall', release, '-n', namespace, '--no-hooks']).catch(() => '');
  await kubectl(['delete', 'crd', crdName, '--wait=false']).catch(() => '');
  await kubectl(['delete', 'clusterrole,clusterrolebinding', hookName]).catch(() => '');
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => '');
  rmSync(join(chart, '..'), { recursive: true, force: true });
}, 120_000);

describe('the operator chart upgrades its CRDs', { timeout: 180_000 }, () => {
  it('installs crds/ on install, and the pre-upgrade Job applies the changed CRD before the upgrade', async () => {
    await helm(['install', release, chart, '-n', namespace, ...values]);
    // The installed schema does not know `color`: strict field validation refuses it.
    await expect(kubectl(['apply', '-n', namespace, '-f', '-'], widget)).rejects.toThrow(
      /unknown field "spec.color"/,
    );

    writeFileSync(join(chart, 'crds', 'widgets.yaml'), widgetCrd(true));
    const upgrade = helm(['upgrade', release, chart, '-n', namespace, ...values, '--timeout', '2m']);
    const applied = await runKubectlHookJob(namespace, hookName);
    expect(applied).toContain(`customresourcedefinition.apiextensions.k8s.io/${crdName} serverside-applied`);
    await upgrade;

    const crd = JSON.parse(await kubectl(['get', 'crd', crdName, '-o', 'json'])) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: object } } } } }[] };
    };
    expect(
      Object.keys(crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties ?? {}),
    ).toEqual(['color', 'size']);
    // The upgraded CRD serves the new field at once, and the hook cleaned up after itself.
    await kubectl(['wait', '--for=condition=Established', `crd/${crdName}`, '--timeout=30s']);
    await expect(kubectl(['apply', '-n', namespace, '-f', '-'], widget)).resolves.toContain('created');
    const left = await kubectl(['get', 'configmap,serviceaccount,job', '-n', namespace, '-o', 'name']);
    expect(left).not.toContain(hookName);
    const history = JSON.parse(await helm(['history', release, '-n', namespace, '-o', 'json'])) as {
      status: string;
    }[];
    expect(history.map((h) => h.status)).toEqual(['superseded', 'deployed']);
  });

  it("gives the hook's ServiceAccount the chart's CRDs to read and patch, and nothing else", async () => {
    // The hook's RBAC is gone with the hook; render it again and apply it, to ask the API server.
    const rendered = await helm([
      'template',
      release,
      chart,
      '-n',
      namespace,
      ...values,
      '--show-only',
      'templates/crd-upgrade.yaml',
    ]);
    const rbac = rendered
      .split(/^---$/m)
      .filter((doc) => /kind: (ServiceAccount|ClusterRole|ClusterRoleBinding)\n/.test(doc))
      .join('\n---\n');
    await kubectl(['apply', '-n', namespace, '-f', '-'], rbac);
    const can = (verb: string, resource: string) =>
      kubectl(['auth', 'can-i', verb, resource, `--as=system:serviceaccount:${namespace}:${hookName}`]).then(
        (out) => out.trim(),
        (error: { stdout?: string }) => (error.stdout ?? '').trim(),
      );
    expect(await can('patch', `customresourcedefinitions/${crdName}`)).toBe('yes');
    expect(await can('get', `customresourcedefinitions/${crdName}`)).toBe('yes');
    expect(await can('delete', `customresourcedefinitions/${crdName}`)).toBe('no');
    expect(await can('patch', 'customresourcedefinitions/tenants.parley.dev')).toBe('no');
    expect(await can('create', 'customresourcedefinitions')).toBe('no');
    expect(await can('list', 'customresourcedefinitions')).toBe('no');
    expect(await can('get', 'secrets')).toBe('no');
  });

  it("the Job's pod passes the restricted Pod Security Standard of the release namespace", async () => {
    const rendered = await helm([
      'template',
      release,
      chart,
      '-n',
      namespace,
      ...values,
      '--show-only',
      'templates/crd-upgrade.yaml',
    ]);
    const jobDoc = rendered.split(/^---$/m).find((doc) => /^kind: Job$/m.test(doc)) ?? '';
    const job = JSON.parse(
      await kubectl(['create', '--dry-run=client', '-o', 'json', '-f', '-'], jobDoc),
    ) as { spec: { template: { metadata: object; spec: PodTemplate } } };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crd-upgrade-admission', namespace },
      spec: job.spec.template.spec,
    };
    await expect(
      kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], JSON.stringify(pod)),
    ).resolves.toContain('pod/crd-upgrade-admission');
  });
});
