/**
 * Every chart (the service charts on parley-common, the operator's and the umbrella) against the
 * stack's helm and kube-apiserver: `helm lint --strict` with each of its ci/ values files, each
 * rendering accepted by a server-side dry run, the version label taken from appVersion whatever
 * the image reference, no image without a registry, and the shared values schema identical in
 * every chart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chartsOnCommon, expectedSchema, schemaPath } from './chart-schemas.ts';
import { imageServices } from './dockerfile.ts';
import {
  applicationCharts,
  appVersion,
  chartsDir,
  ciValuesFiles,
  containers,
  helm,
  isWorkload,
  kubectl,
  type Manifest,
  render,
  repoRoot,
} from './helm.ts';

const charts = applicationCharts();

beforeAll(async () => {
  // The release namespace of the dry runs (and the operator's watched namespace in its ci values).
  await kubectl(['apply', '-f', join(repoRoot, 'k8s/dev/00-namespace.yaml')]);
});
const digest = `sha256:${'ab'.repeat(32)}`;

describe('the charts', () => {
  it('are every service chart, the operator chart and the umbrella, each with ci/ values files', () => {
    // One chart per image the Dockerfile builds (each service, and the operator's).
    const imageCharts = imageServices().map((s) =>
      s.service === 'operator' ? 'parley-operator' : s.service,
    );
    expect(imageCharts).toEqual(
      expect.arrayContaining(['gateway', 'socket', 'media', 'search', 'parley-operator']),
    );
    expect(charts).toEqual(expect.arrayContaining([...imageCharts, 'parley']));
    for (const chart of charts) expect(ciValuesFiles(chart).length, chart).toBeGreaterThan(0);
  });

  it('are all built on the parley-common library chart', () => {
    expect([...chartsOnCommon()].sort()).toEqual(charts.filter((c) => c !== 'parley').sort());
    expect(readFileSync(join(chartsDir, 'parley', 'Chart.yaml'), 'utf8')).toMatch(
      /- name: parley-common\n\s+version: .*\n\s+repository: file:\/\/\.\.\/parley-common/,
    );
  });

  it("take the stores' connection Secret from one value, global.existingSecret, in every workload", async () => {
    const manifests = await render('parley', {
      set: ['global.imageRegistry=registry.example.com', 'global.existingSecret=acme-stores'],
    });
    const workloads = manifests.filter(isWorkload);
    // One workload per chart the umbrella installs.
    expect(workloads).toHaveLength(charts.filter((c) => c !== 'parley').length);
    for (const workload of workloads) {
      const sources = (containers(workload)[0]?.envFrom ?? []).map((s) => s.secretRef.name);
      expect(sources, workload.metadata.name).toContain('acme-stores');
      expect(sources, workload.metadata.name).not.toContain('parley-connections');
    }
  });

  it.each(chartsOnCommon())('%s carries the shared values schema of parley-common unchanged', (chart) => {
    expect(JSON.parse(readFileSync(schemaPath(chart), 'utf8'))).toEqual(expectedSchema(chart));
  });
});

describe.each(charts)('chart %s', (chart) => {
  const path = join(chartsDir, chart);

  it('passes helm lint --strict with each of its ci/ values files', { timeout: 120_000 }, async () => {
    for (const file of ciValuesFiles(chart)) {
      await expect(helm(['lint', '--strict', path, '-f', file]), file).resolves.toContain(
        '0 chart(s) failed',
      );
    }
  });

  it('renders, with each ci/ values file, what the API server accepts', { timeout: 180_000 }, async () => {
    for (const file of ciValuesFiles(chart)) {
      const manifests = await render(chart, { values: [file] });
      expect(manifests.some(isWorkload)).toBe(true);
      // prometheus-operator's CRDs are not on the stack's apiserver: ServiceMonitors are checked below.
      const served = manifests.filter((m) => !m.apiVersion.startsWith('monitoring.coreos.com/'));
      const output = await kubectl(
        ['apply', '--dry-run=server', '--namespace', 'parley', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: served }),
      );
      expect(output.trim().split('\n')).toHaveLength(served.length);
      for (const monitor of manifests.filter((m) => m.kind === 'ServiceMonitor')) {
        const spec = monitor.spec as { endpoints: { port: string; path: string }[] };
        expect(spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
      }
    }
  });

  it('labels every object with its appVersion, not with the image reference', async () => {
    const manifests = await render(chart, {
      set: [
        'global.imageRegistry=registry.example.com',
        `global.imageTag=1.2.3-rc.1`,
        ...digestValues(chart),
      ],
    });
    const labelled = manifests.filter((m) => m.metadata.labels?.['app.kubernetes.io/part-of'] === 'parley');
    expect(labelled.length).toBeGreaterThan(3);
    for (const manifest of labelled) {
      const subchart = manifest.metadata.labels?.['helm.sh/chart']?.replace(/-[0-9.]+$/, '') ?? chart;
      expect(manifest.metadata.labels?.['app.kubernetes.io/version'], `${manifest.kind}`).toBe(
        appVersion(subchart),
      );
    }
    for (const deployment of manifests.filter(isWorkload)) {
      const template = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } })
        .template;
      expect(template.metadata.labels['app.kubernetes.io/version']).toMatch(/^[0-9]+\.[0-9]+\.[0-9]+$/);
      const [container] = containers(deployment);
      expect(container?.image).toMatch(
        /^registry\.example\.com\/parley\/[a-z-]+:1\.2\.3-rc\.1(@sha256:[a-f0-9]{64})?$/,
      );
    }
    if (chart !== 'parley') {
      const [container] = containers(manifests.find(isWorkload) as Manifest);
      expect(container?.image.endsWith(`:1.2.3-rc.1@${digest}`)).toBe(true);
    }
  });

  it('refuses to render an image without a registry (it would come from Docker Hub)', async () => {
    await expect(render(chart)).rejects.toThrow(/set global\.imageRegistry/);
    // A repository that names its own registry host (skaffold's, Tilt's) needs none.
    if (chart !== 'parley') {
      const manifests = await render(chart, {
        set: ['image.repository=localhost/parley/dev', 'image.tag=abc'],
      });
      const [container] = containers(manifests.find(isWorkload) as Manifest);
      expect(container?.image).toBe('localhost/parley/dev:abc');
    }
  });
});

// The socket service scales on its connections instead (socket-chart.test.ts).
describe.each(charts.filter((c) => !['parley', 'socket'].includes(c)))('chart %s: availability', (chart) => {
  it('with autoscaling on, scales its own workload on CPU, and keeps a PDB whatever the replica count', async () => {
    const manifests = await render(chart, {
      set: ['global.imageRegistry=registry.example.com', 'autoscaling.enabled=true', 'replicaCount=1'],
    });
    const workload = manifests.find(isWorkload) as Manifest;
    const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')?.spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      metrics: unknown[];
    };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: workload.kind, name: workload.metadata.name });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } },
      },
    ]);
    const pdb = manifests.find((m) => m.kind === 'PodDisruptionBudget')?.spec;
    expect(pdb).toMatchObject({ maxUnavailable: 1 });
    // Off by default, and no PDB for a single fixed replica (it would block every drain).
    const single = await render(chart, {
      set: ['global.imageRegistry=registry.example.com', 'replicaCount=1'],
    });
    expect(single.map((m) => m.kind)).not.toContain('HorizontalPodAutoscaler');
    expect(single.map((m) => m.kind)).not.toContain('PodDisruptionBudget');
  });
});

function digestValues(chart: string): string[] {
  return chart === 'parley' ? [] : [`image.digest=${digest}`];
}
