// The gateway reads one address per service behind it (its settings schema); its chart must set
// each to this release's Service. Each side alone would pass with a setting left out: the
// default (127.0.0.1) then sends a deployed gateway's media uploads and websockets nowhere.
import { gatewaySettingsSchema } from '@parley/gateway-service/settings';
import { redisSettings } from '@parley/kit';
import { describe, expect, it } from 'vitest';
import { containers, isWorkload, kubectl, type Manifest, render } from './helm.ts';

const registry = 'image.registry=registry.example';

function gatewayEnv(manifests: Manifest[]): Record<string, string | undefined> {
  const deployment = manifests.find(isWorkload);
  const env = (containers(deployment as Manifest)[0]?.env ?? []) as { name: string; value?: string }[];
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

describe('the gateway chart', () => {
  it('points every upstream address the gateway reads at this release’s services', async () => {
    const env = gatewayEnv(await render('gateway', { release: 'chat', set: [registry] }));
    // Store addresses (REDIS_URL) come from the connections Secret; the rest are services.
    const upstreams = Object.keys(gatewaySettingsSchema.properties).filter(
      (name) => /_URLS?$/.test(name) && !(name in redisSettings),
    );
    expect(upstreams).toEqual(expect.arrayContaining(['MEDIA_URL', 'SOCKET_URLS']));
    for (const name of upstreams) {
      expect(env[name], name).toMatch(/^http:\/\/chat-[a-z]+:\d+$/);
    }
    expect(env.MEDIA_URL).toBe('http://chat-media:3005');
    expect(env.SOCKET_URLS).toBe('http://chat-socket:3002');
  });

  // The journal holds records of requests already answered: on an emptyDir they would die with
  // the pod. One folder per process (a second writer would replay and delete the first one's
  // segments), so each replica gets a claim of its own: a StatefulSet's volumeClaimTemplates.
  it('keeps AUDIT_DIR on a PersistentVolumeClaim per replica, sized by its values', async () => {
    const manifests = await render('gateway', {
      release: 'chat',
      set: [registry, 'auditJournal.persistence.size=5Gi', 'auditJournal.persistence.storageClassName=fast'],
    });
    expect(manifests.filter((m) => m.kind === 'Deployment')).toEqual([]);
    const set = manifests.find((m) => m.kind === 'StatefulSet') as Manifest;
    const spec = set.spec as {
      serviceName: string;
      volumeClaimTemplates: { metadata: { name: string }; spec: Record<string, unknown> }[];
      template: { spec: { volumes: { name: string }[] } };
    };
    expect(spec.serviceName).toBe('chat-gateway');
    expect(spec.volumeClaimTemplates).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ name: 'audit-journal' }),
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'fast',
          resources: { requests: { storage: '5Gi' } },
        },
      }),
    ]);
    // The claim is the volume: no pod volume of that name shadows it.
    expect(spec.template.spec.volumes.map((v) => v.name)).not.toContain('audit-journal');
    const [container] = containers(set);
    expect(container?.volumeMounts).toContainEqual({
      name: 'audit-journal',
      mountPath: '/var/lib/parley/audit',
    });
    expect(gatewayEnv(manifests).AUDIT_DIR).toBe('/var/lib/parley/audit');
    // The HPA scales what the chart runs.
    const hpa = (
      await render('gateway', { release: 'chat', set: [registry, 'autoscaling.enabled=true'] })
    ).find((m) => m.kind === 'HorizontalPodAutoscaler') as Manifest;
    expect((hpa.spec as { scaleTargetRef: unknown }).scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'chat-gateway',
    });
    // The API server takes the StatefulSet as rendered (claim templates, retention policy).
    await expect(
      kubectl(['apply', '--dry-run=server', '-n', 'default', '-f', '-'], JSON.stringify(set)),
    ).resolves.toContain('statefulset.apps/chat-gateway created (server dry run)');
  });

  it('without persistence runs a Deployment with an emptyDir journal, and refuses a size that is no quantity', async () => {
    const manifests = await render('gateway', {
      release: 'chat',
      set: [registry, 'auditJournal.persistence.enabled=false'],
    });
    expect(manifests.filter((m) => m.kind === 'StatefulSet')).toEqual([]);
    const deployment = manifests.find(isWorkload) as Manifest;
    expect(deployment.kind).toBe('Deployment');
    const volumes = (deployment.spec as { template: { spec: { volumes: Record<string, unknown>[] } } })
      .template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'audit-journal', emptyDir: { sizeLimit: '1Gi' } });
    expect(gatewayEnv(manifests).AUDIT_DIR).toBe('/var/lib/parley/audit');
    await expect(
      render('gateway', { set: [registry, 'auditJournal.persistence.size=lots'] }),
    ).rejects.toThrow(/'\/auditJournal\/persistence\/size': 'lots' does not match/);
  });
});
