/**
 * What platform teams apply must be accepted by a real API server: the hand-written manifests of
 * k8s/dev and the umbrella chart go through a server-side dry run against the stack's
 * kube-apiserver (schema, defaulting and admission, without creating anything). Each chart with
 * each of its ci/ values files: charts.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { stackSetting } from '../setup/stack-env.ts';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');
const chartsDir = join(repoRoot, 'charts');
const namespace = 'parley';

const charts = readdirSync(chartsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(chartsDir, entry.name, 'Chart.yaml')))
  .map((entry) => entry.name);
const umbrella = 'parley';
// The application charts the umbrella installs (the library chart installs nothing of its own).
const serviceCharts = charts.filter(
  (name) =>
    name !== umbrella && !/^type:\s*library/m.test(readFileSync(join(chartsDir, name, 'Chart.yaml'), 'utf8')),
);

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(stackSetting('PARLEY_KUBECTL'), args, { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

async function helm(args: string[]): Promise<string> {
  return (await run(stackSetting('PARLEY_HELM'), args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

beforeAll(async () => {
  // The manifests name their namespace; a dry run needs it to exist.
  await kubectl(['apply', '-f', join(repoRoot, 'k8s/dev/00-namespace.yaml')]);
});

describe('the kind dev cluster manifests (k8s/dev)', () => {
  it('are accepted by the API server', async () => {
    const output = await kubectl(['apply', '--dry-run=server', '-f', join(repoRoot, 'k8s/dev')]);
    for (const kind of ['statefulset.apps/mongodb', 'deployment.apps/redis', 'statefulset.apps/kafka']) {
      expect(output).toContain(`${kind} created (server dry run)`);
    }
  });
});

interface DevObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    template?: {
      spec: {
        containers: { image: string; args?: string[] }[];
        volumes?: { persistentVolumeClaim?: { claimName: string } }[];
      };
    };
    volumeClaimTemplates?: unknown[];
  };
}

const devObjects = readdirSync(join(repoRoot, 'k8s/dev'))
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(join(repoRoot, 'k8s/dev', file), 'utf8')))
  .map((document) => document.toJS() as DevObject);
const workload = (name: string) => {
  const found = devObjects.find((o) => /^(Deployment|StatefulSet)$/.test(o.kind) && o.metadata.name === name);
  if (!found?.spec?.template) throw new Error(`k8s/dev has no workload ${name}`);
  return { ...found, pod: found.spec.template.spec };
};

describe('the kind dev cluster backing servers (k8s/dev)', () => {
  it('are pinned to exact versions: a tag that names a release, never a moving minor or latest', () => {
    const images = devObjects.flatMap((o) => o.spec?.template?.spec.containers.map((c) => c.image) ?? []);
    expect(images).toHaveLength(5);
    for (const image of images)
      expect(image).toMatch(/:(\d+\.\d+\.\d+|RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)$/);
    // The same Kafka and Elasticsearch as the local stack (dev/src/stack/catalog.ts).
    expect(workload('kafka').pod.containers[0]?.image).toBe('apache/kafka:4.1.1');
    expect(workload('elasticsearch').pod.containers[0]?.image).toMatch(/:7\.10\.2$/);
  });

  it('are what the services need: a MongoDB replica set, Redis persisted, Kafka in KRaft mode, on claims', () => {
    const mongodb = workload('mongodb');
    expect(mongodb.pod.containers[0]?.args?.join(' ')).toContain('--replSet rs0');
    expect(mongodb.spec?.volumeClaimTemplates).toHaveLength(1);
    const redis = workload('redis');
    expect(redis.pod.containers[0]?.args?.join(' ')).toContain('--appendonly yes');
    const claim = redis.pod.volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName;
    expect(
      devObjects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name),
    ).toContain(claim);
    const kafkaConfig = devObjects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('kafka'));
    expect(Object.values(kafkaConfig?.data ?? {}).join('\n')).toContain('process.roles=broker,controller');
    expect(workload('kafka').spec?.volumeClaimTemplates).toHaveLength(1);
    expect(workload('elasticsearch').spec?.volumeClaimTemplates).toHaveLength(1);
  });

  it('are the ones the dev values point the release at (the connections Secret)', () => {
    const secret = devObjects.find((o) => o.kind === 'Secret' && o.metadata.name === 'parley-connections') as
      | (DevObject & { stringData: Record<string, string> })
      | undefined;
    expect(secret?.stringData).toMatchObject({
      MONGO_URL: expect.stringMatching(/^mongodb:\/\/mongodb\.parley\.svc:27017\/\?replicaSet=rs0$/),
      REDIS_URL: expect.stringContaining('@redis.parley.svc:6379'),
      KAFKA_BROKERS: 'kafka.parley.svc:9092',
      S3_ENDPOINT: 'http://minio.parley.svc:9000',
      ELASTICSEARCH_URL: 'http://elasticsearch.parley.svc:9200',
    });
    expect(readFileSync(join(repoRoot, 'k8s/dev-values.yaml'), 'utf8')).toMatch(
      /existingSecret: parley-connections/,
    );
  });
});

describe('the umbrella chart', () => {
  it('names every service chart as a dependency, each a link to the sibling chart', async () => {
    const chartYaml = await helm(['show', 'chart', join(chartsDir, umbrella)]);
    for (const chart of serviceCharts) {
      expect(chartYaml).toContain(`repository: file://../${chart}`);
      // A clone installs it as it is: no `helm dependency build` between checkout and install.
      expect(realpathSync(join(chartsDir, umbrella, 'charts', chart))).toBe(
        realpathSync(join(chartsDir, chart)),
      );
    }
  });

  it('installs every service and the operator in one release the API server accepts', async () => {
    const path = join(chartsDir, umbrella);
    const rendered = await helm([
      'template',
      'parley',
      path,
      '--namespace',
      namespace,
      '--set',
      'global.imageRegistry=registry.example.com',
    ]);
    for (const chart of serviceCharts) {
      expect(rendered).toContain(`helm.sh/chart: ${chart}-`);
    }
    const output = await kubectl(
      ['apply', '--dry-run=server', '--namespace', namespace, '-f', '-'],
      rendered,
    );
    expect(output).toContain('(server dry run)');
  });
});
