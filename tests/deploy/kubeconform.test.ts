/**
 * Every manifest the repository ships, validated by kubeconform in strict mode against schemas
 * made offline from the stack's kube-apiserver (tests/deploy/kube-schemas.ts), CRDs included:
 * each chart with each of its ci/ values files (the umbrella's and the operator's with their
 * CRDs), the kind dev cluster's manifests, the CRDs and the sample Tenants. Nothing may be
 * skipped for want of a schema. A server-side dry run (charts.test.ts) accepts fields it prunes
 * or ignores; kubeconform names each one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { stackSetting } from '../setup/stack-env.ts';
import { applicationCharts, chartsDir, ciValuesFiles, helm, repoRoot } from './helm.ts';
import { writeSchemas } from './kube-schemas.ts';

const run = promisify(execFile);
const schemas = mkdtempSync(join(tmpdir(), 'parley-kube-schemas-'));

interface Result {
  kind: string;
  name: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty' | '';
  msg: string;
}

/** kubeconform -strict over YAML documents; one result per resource, valid ones included. */
async function kubeconform(yaml: string): Promise<Result[]> {
  const args = ['-strict', '-verbose', '-output', 'json', '-n', '2'];
  args.push('-schema-location', join(schemas, '{{ .ResourceKind }}{{ .KindSuffix }}.json'), '-');
  const child = run(stackSetting('PARLEY_KUBECONFORM'), args, { maxBuffer: 32 * 1024 * 1024 });
  child.child.stdin?.end(yaml);
  // It exits 1 when a resource is invalid: the results are in its output either way.
  const { stdout } = await child.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  // An empty document (helm's `---` around a template that rendered nothing) is no resource: it
  // comes back as statusEmpty, or read from stdin with every field empty.
  return ((JSON.parse(stdout) as { resources: Result[] | null }).resources ?? []).filter(
    (r) => r.status !== 'statusEmpty' && !(r.kind === '' && r.status === ''),
  );
}

// The results that are not plainly valid, as "Kind/name: message", so a failure says what.
const problems = (results: Result[]) =>
  results.filter((r) => r.status !== 'statusValid').map((r) => `${r.kind}/${r.name}: ${r.status} ${r.msg}`);

beforeAll(async () => {
  const written = await writeSchemas(schemas, [
    join(chartsDir, 'parley-operator', 'crds'),
    join(dirname(stackSetting('PARLEY_KUBECONFORM')), '..', 'crds'),
  ]);
  // The reader found the served kinds, Parley's CRDs and prometheus-operator's.
  expect(written).toEqual(
    expect.arrayContaining([
      'deployment-apps-v1.json',
      'service-v1.json',
      'networkpolicy-networking-v1.json',
      'horizontalpodautoscaler-autoscaling-v2.json',
      'customresourcedefinition-apiextensions-v1.json',
      'servicemonitor-monitoring-v1.json',
      'prometheusrule-monitoring-v1.json',
    ]),
  );
}, 120_000);

afterAll(() => rmSync(schemas, { recursive: true, force: true }));

describe('kubeconform against the schemas made from the apiserver', () => {
  it('refuses an unknown field, a wrong type and a kind it has no schema for (the controls)', async () => {
    const deployment = (spec: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: d }
spec:
  selector: { matchLabels: { a: b } }
  template:
    metadata: { labels: { a: b } }
    spec: { containers: [{ name: c, image: "registry.example.com/c:1", resources: { limits: { cpu: 1, memory: 64Mi } } }] }
${spec}`;
    expect(problems(await kubeconform(deployment('  replicas: 2')))).toEqual([]);
    expect(problems(await kubeconform(deployment('  replica: 2')))).toEqual([
      expect.stringMatching(/^Deployment\/d: statusInvalid .*replica/),
    ]);
    expect(problems(await kubeconform(deployment('  replicas: two')))).toEqual([
      expect.stringMatching(/^Deployment\/d: statusInvalid .*replicas/),
    ]);
    expect(
      problems(await kubeconform('apiVersion: example.com/v1\nkind: Nothing\nmetadata: { name: nothing }\n')),
    ).toEqual([expect.stringMatching(/^Nothing\/nothing: statusError .*could not find schema/)]);
  });

  it('refuses an unknown field in a custom resource (the CRDs are strict too)', async () => {
    const samples = await kubeconform(readSamples());
    expect(problems(samples)).toEqual([]);
    const tenant = samples.find((r) => r.kind === 'Tenant');
    expect(tenant).toBeDefined();
    const broken = readSamples().replace(/^spec:\n/gm, 'spec:\n  notAField: true\n');
    expect(problems(await kubeconform(broken))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Tenant\/.*statusInvalid .*notAField/)]),
    );
  });

  it.each(applicationCharts())(
    'chart %s: every manifest with each ci/ values file is valid',
    { timeout: 180_000 },
    async (chart) => {
      for (const file of ciValuesFiles(chart)) {
        const yaml = await helm([
          'template',
          `parley-${chart}`,
          join(chartsDir, chart),
          '--namespace',
          'parley',
          '--include-crds',
          '-f',
          file,
        ]);
        const results = await kubeconform(yaml);
        // One result per rendered object: none was dropped unread.
        const rendered = parseAllDocuments(yaml).filter((d) => d.toJS() !== null);
        expect(results.length, file).toBe(rendered.length);
        expect(problems(results), file).toEqual([]);
      }
    },
  );

  it('the kind dev cluster manifests, the dev values rendered and the CRDs are valid', async () => {
    const files = ['k8s/dev', 'k8s/crds'].flatMap((dir) =>
      readdirSync(join(repoRoot, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(repoRoot, dir, f)),
    );
    const yaml = files.map((f) => readFileSync(f, 'utf8')).join('\n---\n');
    const results = await kubeconform(yaml);
    expect(results.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['StatefulSet', 'CustomResourceDefinition']),
    );
    expect(problems(results)).toEqual([]);
    const dev = await helm([
      'template',
      'parley',
      join(chartsDir, 'parley'),
      '--namespace',
      'parley',
      '--include-crds',
      '-f',
      join(repoRoot, 'k8s/dev-values.yaml'),
    ]);
    expect(problems(await kubeconform(dev))).toEqual([]);
  });
});

/** The sample custom resources (k8s/samples), as one YAML stream. */
function readSamples(): string {
  const dir = join(repoRoot, 'k8s/samples');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  return files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n---\n');
}
