/**
 * charts/socket: the realtime service runs as several replicas that share rooms through Redis, so
 * the chart gives it two by default with a PodDisruptionBudget, names each replica after its pod
 * (its Kafka consumer groups are per replica), scales it on its connections (a metric the code
 * exports), and needs no sticky sessions because the server takes the websocket transport only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartsDir, containers, helm, type Manifest, render, repoRoot } from './helm.ts';
import { registeredMetrics } from './metrics-registry.ts';

const registry = 'global.imageRegistry=registry.example.com';

function find(manifests: Manifest[], kind: string): Manifest {
  const manifest = manifests.find((m) => m.kind === kind);
  if (!manifest) throw new Error(`no ${kind} rendered`);
  return manifest;
}

describe('chart socket', () => {
  it('runs two replicas by default, one of which a drain may take at a time', async () => {
    const manifests = await render('socket', { set: [registry] });
    expect((find(manifests, 'Deployment').spec as { replicas: number }).replicas).toBe(2);
    expect(find(manifests, 'PodDisruptionBudget').spec).toMatchObject({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'socket' } },
    });
  });

  it('names each replica after its pod and points it at this release’s auth and messaging', async () => {
    const manifests = await render('socket', { release: 'chat', set: [registry] });
    const env = (containers(find(manifests, 'Deployment'))[0]?.env ?? []) as {
      name: string;
      value?: string;
      valueFrom?: unknown;
    }[];
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.REPLICA_ID?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(byName.AUTH_URL?.value).toBe('http://chat-auth:3007');
    expect(byName.MESSAGING_URL?.value).toBe('http://chat-messaging:3004');
    // It accepts no service's credential: clients connect, services do not.
    expect(byName.SERVICE_TOKENS?.value).toBe('');
    // It never decrypts: no master keys are mounted.
    expect(env.map((e) => e.name)).not.toContain('MASTER_KEY_PATH');
  });

  it('scales on its connections, a metric the socket service exports, not on CPU', async () => {
    const manifests = await render('socket', { set: [registry, 'autoscaling.enabled=true'] });
    const hpa = find(manifests, 'HorizontalPodAutoscaler').spec as {
      minReplicas: number;
      metrics: { type: string; pods?: { metric: { name: string } } }[];
    };
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.metrics.map((m) => m.type)).toEqual(['Pods']);
    const metric = hpa.metrics[0]?.pods?.metric.name ?? '';
    expect(metric).toBe('parley_socket_connections');
    expect(registeredMetrics()).toContain(metric);
  });

  it('needs no sticky sessions: the server takes the websocket transport only, as its NOTES say', async () => {
    const server = readFileSync(join(repoRoot, 'services/socket/src/realtime/socket-server.ts'), 'utf8');
    expect(server).toMatch(/transports:\s*\['websocket'\]/);
    const notes = await helm([
      'install',
      'parley-socket',
      join(chartsDir, 'socket'),
      '--dry-run=client',
      '--set',
      registry,
    ]);
    expect(notes).toContain('No sticky sessions are needed');
    const single = await helm([
      'install',
      'parley-socket',
      join(chartsDir, 'socket'),
      '--dry-run=client',
      '--set',
      registry,
      '--set',
      'replicaCount=1',
    ]);
    expect(single).toContain('WARNING: one replica');
    expect(notes).not.toContain('WARNING');
  });
});
