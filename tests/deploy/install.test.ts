/**
 * `helm install` of the umbrella chart on the stack's control plane, into a namespace that
 * enforces the restricted Pod Security Standard. There is no kubelet, so no container runs; the
 * controller manager still turns each Deployment (through a ReplicaSet) and StatefulSet (the
 * gateway's, with a claim per replica) into Pods, and each Pod passes
 * admission (restricted PSS included) or is refused. This proves the manifests, the admission and
 * the secrets check, not the images.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartsDir, helm, kubectl } from './helm.ts';
import { createReleaseSecret, releaseSecrets } from './release-secrets.ts';

const suffix = randomBytes(3).toString('hex');
const namespace = `parley-install-${suffix}`;
const release = `p${suffix}`;
const umbrella = join(chartsDir, 'parley');
const registry = ['--set', 'global.imageRegistry=registry.example.com'];

const secrets = releaseSecrets;

async function createSecret(name: string): Promise<void> {
  await createReleaseSecret(namespace, name);
}

interface PodList {
  items: { metadata: { name: string; labels: Record<string, string> } }[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

beforeAll(async () => {
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
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => '');
}, 120_000);

describe('helm install of the umbrella chart', { timeout: 180_000 }, () => {
  it('refuses, naming it and how to make it, while a required Secret is missing', async () => {
    await expect(
      helm(['install', release, umbrella, '-n', namespace, '--dry-run=server', ...registry]),
    ).rejects.toThrow(/the Secret "parley-connections" is missing in namespace "parley-install-[0-9a-f]+"/);
    for (const name of Object.keys(secrets).filter((n) => n !== 'parley-master-keys'))
      await createSecret(name);
    await expect(
      helm(['install', release, umbrella, '-n', namespace, '--dry-run=server', ...registry]),
    ).rejects.toThrow(/the Secret "parley-master-keys" is missing .*master keys/);
  });

  it('the namespace enforces the restricted Pod Security Standard', async () => {
    // The negative control: without it, pods passing admission below would prove nothing.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unrestricted', namespace },
      spec: { containers: [{ name: 'c', image: 'registry.example.com/any:1' }] },
    };
    await expect(kubectl(['apply', '-f', '-'], JSON.stringify(pod))).rejects.toThrow(
      /violates PodSecurity "restricted/,
    );
  });

  it('installs once every Secret exists, and every replica of every workload passes admission', async () => {
    await createSecret('parley-master-keys');
    await helm(['install', release, umbrella, '-n', namespace, ...registry]);
    const deployments = JSON.parse(
      await kubectl(['get', 'deployments,statefulsets', '-n', namespace, '-o', 'json']),
    ) as {
      items: {
        metadata: { name: string };
        spec: { replicas: number; selector: { matchLabels: Record<string, string> } };
      }[];
    };
    expect(deployments.items.map((d) => d.metadata.name).sort()).toEqual(
      [
        'gateway',
        'messaging',
        'auth',
        'compliance',
        'crypto',
        'parley-operator',
        'socket',
        'media',
        'search',
        'notifier',
        'integrations',
      ]
        .map((c) => `${release}-${c}`)
        .sort(),
    );
    const expected = deployments.items.reduce((sum, d) => sum + d.spec.replicas, 0);
    const pods = await waitFor('every replica to be created', async () => {
      const list = JSON.parse(await kubectl(['get', 'pods', '-n', namespace, '-o', 'json'])) as PodList;
      return list.items.length >= expected ? list : undefined;
    });
    expect(pods.items).toHaveLength(expected);
    const refused = await kubectl([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'reason=FailedCreate',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(refused).toBe('');
    // Each gateway replica asked for its audit journal's claim (nothing binds it: no storage here).
    const claims = JSON.parse(await kubectl(['get', 'pvc', '-n', namespace, '-o', 'json'])) as {
      items: { metadata: { name: string } }[];
    };
    expect(claims.items.map((c) => c.metadata.name).sort()).toEqual([
      `audit-journal-${release}-gateway-0`,
      `audit-journal-${release}-gateway-1`,
    ]);
  });

  it('upgrades (a changed setting rolls the pods) and rolls back to the first revision', async () => {
    const logLevel = async () => {
      const deployment = JSON.parse(
        await kubectl(['get', 'deployment', `${release}-auth`, '-n', namespace, '-o', 'json']),
      ) as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
      return deployment.spec.template.spec.containers[0]?.env.find((e) => e.name === 'LOG_LEVEL')?.value;
    };
    expect(await logLevel()).toBe('info');
    await helm([
      'upgrade',
      release,
      umbrella,
      '-n',
      namespace,
      ...registry,
      '--set',
      'auth.config.LOG_LEVEL=debug',
      // The CRD upgrade hook's Job would wait for a kubelet; crd-upgrade.test.ts runs it, on a
      // CRD of its own (this one would re-apply the shared apiserver's Parley CRDs).
      '--set',
      'parley-operator.crdUpgrade.enabled=false',
    ]);
    expect(await logLevel()).toBe('debug');
    await helm(['rollback', release, '1', '-n', namespace]);
    expect(await logLevel()).toBe('info');
    const history = JSON.parse(await helm(['history', release, '-n', namespace, '-o', 'json'])) as {
      revision: number;
      status: string;
      description: string;
    }[];
    expect(history.map((h) => h.revision)).toEqual([1, 2, 3]);
    expect(history.at(-1)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
  });
});
