/**
 * Issue 12's finding on charts/compliance: after an audit signing key rotation the previous keys
 * (AUDIT_PREVIOUS_KEYS_PATH, services/compliance/README.md "Signing keys") must reach the pod, or
 * every checkpoint the old key signed verifies as `unknown-key`. The chart mounts them from a
 * Secret of their own, read-only, and points the setting at the file.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartsDir, containers, type Manifest, render } from './helm.ts';

interface PodSpec {
  volumes: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
}

function deploymentOf(manifests: Manifest[]): Manifest {
  const deployment = manifests.find((m) => m.kind === 'Deployment');
  if (!deployment) throw new Error('no Deployment rendered');
  return deployment;
}

function podSpec(deployment: Manifest): PodSpec {
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

describe('chart compliance: previous audit signing keys', () => {
  it('mounts the previous keys Secret and points AUDIT_PREVIOUS_KEYS_PATH at its file', async () => {
    const deployment = deploymentOf(
      await render('compliance', { values: [join(chartsDir, 'compliance/ci/previous-keys-values.yaml')] }),
    );
    const [container] = containers(deployment);
    const path = container?.env?.find((e) => e.name === 'AUDIT_PREVIOUS_KEYS_PATH')?.value;
    expect(path).toBe('/etc/parley/audit-previous-keys/previous-keys.pem');
    const mount = container?.volumeMounts?.find((m) => m.mountPath === '/etc/parley/audit-previous-keys');
    expect(mount).toMatchObject({ readOnly: true });
    const volume = podSpec(deployment).volumes.find((v) => v.name === mount?.name);
    expect(volume?.secret).toEqual({
      secretName: 'parley-audit-previous-keys',
      defaultMode: 0o440,
      items: [{ key: 'previous-keys.pem', path: 'previous-keys.pem' }],
    });
    // The current key is still mounted beside it, and still the one that signs.
    expect(container?.env?.find((e) => e.name === 'AUDIT_SIGNING_KEY_PATH')?.value).toBe(
      '/etc/parley/audit-signing/audit-signing-key.pem',
    );
  });

  it('takes the Secret and the entry from values', async () => {
    const deployment = deploymentOf(
      await render('compliance', {
        set: [
          'global.imageRegistry=registry.example.com',
          'auditSigningKey.previousKeys.existingSecret=rotated-2026',
          'auditSigningKey.previousKeys.key=old.pem',
        ],
      }),
    );
    const [container] = containers(deployment);
    expect(container?.env?.find((e) => e.name === 'AUDIT_PREVIOUS_KEYS_PATH')?.value).toBe(
      '/etc/parley/audit-previous-keys/old.pem',
    );
    const volume = podSpec(deployment).volumes.find((v) => v.secret?.secretName === 'rotated-2026');
    expect(volume?.secret?.items).toEqual([{ key: 'old.pem', path: 'old.pem' }]);
  });

  it('sets no previous keys before any rotation', async () => {
    const deployment = deploymentOf(
      await render('compliance', { values: [join(chartsDir, 'compliance/ci/minimal-values.yaml')] }),
    );
    const [container] = containers(deployment);
    expect(container?.env?.map((e) => e.name)).not.toContain('AUDIT_PREVIOUS_KEYS_PATH');
    expect(podSpec(deployment).volumes.map((v) => v.name)).toEqual([
      'master-keys',
      'tmp',
      'audit-signing-key',
    ]);
  });
});
