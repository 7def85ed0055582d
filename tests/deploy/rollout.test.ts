/**
 * `helm install --wait` of the umbrella on the stack's control plane with nodes: kube-scheduler
 * places every pod on kwok's fake nodes (dev/src/stack/servers/kwok.ts), kwok marks them running
 * and ready, so every Deployment becomes Available, the gateway's StatefulSet ready (its claims
 * bound to volumes made here), every Service gets ready endpoints and the CRDs are established;
 * `helm upgrade --wait` runs the operator chart's CRD pre-upgrade hook Job for real (the Job
 * controller creates its pod, kwok completes it, helm waits for the Job), and `helm rollback
 * --wait` rolls back. No container runs: this proves manifests, admission (restricted Pod
 * Security Standard), scheduling and rollout, not the images.
 *
 * The volumes are made by hand: a dynamic provisioner (rancher's local-path-provisioner) creates
 * each volume through a helper pod it waits to see Succeeded, and kwok's pod-fast stages complete
 * only a Job's pods, so on fake nodes it would wait forever.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartsDir, helm, kubectl } from './helm.ts';
import { createReleaseSecrets } from './release-secrets.ts';

const suffix = randomBytes(3).toString('hex');
const namespace = `parley-rollout-${suffix}`;
const release = `r${suffix}`;
const storageClass = `parley-rollout-${suffix}`;
const umbrella = join(chartsDir, 'parley');
const values = [
  '--set',
  'global.imageRegistry=registry.example.com',
  '--set',
  `gateway.auditJournal.persistence.storageClassName=${storageClass}`,
];

interface Items<T> {
  items: T[];
}
type Workload = {
  metadata: { name: string };
  spec: { replicas: number };
  status: { readyReplicas?: number; conditions?: { type: string; status: string }[] };
};

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

beforeAll(async () => {
  await kubectl(['create', 'namespace', namespace]);
  await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
  await createReleaseSecrets(namespace);
  // The gateway's two audit-journal claims need volumes: no provisioner runs here, so two made by
  // hand, of a class of this run's own (the PV controller binds each claim to one).
  const volumes = [0, 1].map((n) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `${storageClass}-${n}` },
    spec: {
      storageClassName: storageClass,
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      hostPath: { path: `/tmp/${storageClass}-${n}` },
    },
  }));
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: volumes }));
}, 60_000);

afterAll(async () => {
  await helm(['uninstall', release, '-n', namespace, '--no-hooks']).catch(() => '');
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => '');
  await kubectl(['delete', 'pv', `${storageClass}-0`, `${storageClass}-1`, '--wait=false']).catch(() => '');
}, 120_000);

describe('helm install --wait on nodes', { timeout: 420_000 }, () => {
  it('every pod is scheduled and ready: Deployments Available, the gateway ready, Services with endpoints', async () => {
    await helm(['install', release, umbrella, '-n', namespace, ...values, '--wait', '--timeout', '5m']);
    const deployments = await json<Items<Workload>>(['get', 'deployments', '-n', namespace]);
    expect(deployments.items).toHaveLength(10);
    for (const d of deployments.items) {
      expect(d.status.conditions, d.metadata.name).toContainEqual(
        expect.objectContaining({ type: 'Available', status: 'True' }),
      );
      expect(d.status.readyReplicas, d.metadata.name).toBe(d.spec.replicas);
    }
    const [gateway] = (await json<Items<Workload>>(['get', 'statefulsets', '-n', namespace])).items;
    expect(gateway?.metadata.name).toBe(`${release}-gateway`);
    expect(gateway?.status.readyReplicas).toBe(2);
    const claims = await json<Items<{ status: { phase: string } }>>(['get', 'pvc', '-n', namespace]);
    expect(claims.items.map((c) => c.status.phase)).toEqual(['Bound', 'Bound']);

    const pods = await json<
      Items<{ metadata: { name: string }; spec: { nodeName?: string }; status: { phase: string } }>
    >(['get', 'pods', '-n', namespace]);
    for (const pod of pods.items) {
      expect(pod.spec.nodeName, pod.metadata.name).toMatch(/^kwok-node-\d$/);
      expect(pod.status.phase, pod.metadata.name).toBe('Running');
    }
    // Replicas of one service land on different nodes (the charts' pod anti-affinity).
    const socketNodes = pods.items
      .filter((p) => p.metadata.name.startsWith(`${release}-socket-`))
      .map((p) => p.spec.nodeName);
    expect(new Set(socketNodes).size).toBe(socketNodes.length);

    // The operator chart's CRDs (crds/) are served: established, and their names accepted.
    const crds = ['tenants', 'retentionpolicies', 'keyrotationschedules'].map((k) => `${k}.parley.dev`);
    for (const crd of crds) {
      const { status } = await json<{ status: { conditions: { type: string; status: string }[] } }>([
        'get',
        'crd',
        crd,
      ]);
      expect(status.conditions, crd).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'Established', status: 'True' }),
          expect.objectContaining({ type: 'NamesAccepted', status: 'True' }),
        ]),
      );
    }

    const services = await json<Items<{ metadata: { name: string } }>>(['get', 'services', '-n', namespace]);
    const slices = await json<
      Items<{
        metadata: { labels: Record<string, string> };
        endpoints?: { conditions: { ready: boolean } }[];
      }>
    >(['get', 'endpointslices', '-n', namespace]);
    for (const service of services.items) {
      const ready = slices.items
        .filter((s) => s.metadata.labels['kubernetes.io/service-name'] === service.metadata.name)
        .flatMap((s) => s.endpoints ?? [])
        .filter((e) => e.conditions.ready);
      expect(ready.length, service.metadata.name).toBeGreaterThan(0);
    }
  });

  it('helm upgrade --wait runs the CRD pre-upgrade hook Job to completion, and rollback --wait goes back', async () => {
    await helm([
      'upgrade',
      release,
      umbrella,
      '-n',
      namespace,
      ...values,
      '--set',
      'auth.config.LOG_LEVEL=debug',
      '--wait',
      '--timeout',
      '5m',
    ]);
    // The hook's objects go when its Job succeeded (hook-succeeded); the Job controller's event stays.
    const hookJob = `${release}-parley-operator-crd-upgrade`;
    const events = await json<Items<{ involvedObject: { kind: string; name: string }; reason: string }>>([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      `involvedObject.name=${hookJob}`,
    ]);
    expect(events.items.map((e) => `${e.involvedObject.kind}/${e.reason}`)).toEqual(
      expect.arrayContaining(['Job/SuccessfulCreate', 'Job/Completed']),
    );
    await expect(kubectl(['get', 'job', hookJob, '-n', namespace])).rejects.toThrow(/NotFound/);

    await helm(['rollback', release, '1', '-n', namespace, '--wait', '--timeout', '5m']);
    const history = JSON.parse(await helm(['history', release, '-n', namespace, '-o', 'json'])) as {
      status: string;
      description: string;
    }[];
    expect(history.at(-1)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
    const auth = await json<Workload>(['get', 'deployment', `${release}-auth`, '-n', namespace]);
    expect(auth.status.readyReplicas).toBe(auth.spec.replicas);
  });
});
