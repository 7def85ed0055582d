// kwok: fake nodes for the stack's control plane. No kubelet runs: kwok keeps the nodes it owns
// Ready (node-initialize, node-heartbeat stages) and takes the pods bound to them to Running,
// ready, a Job's pod to Succeeded, and a deleted pod away (pod-fast stages), so Deployments
// become Available and the CRD upgrade hook's Job completes with no container run. It manages
// only the nodes annotated kwok.x-k8s.io/node=fake, which prepare creates (three zones).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { kubeconfigPath } from '../env.ts';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition, StackContext } from '../server.ts';

const run = promisify(execFile);
export const kwokNodeCount = 3;

function fakeNode(index: number): Record<string, unknown> {
  const name = `kwok-node-${index}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + index)}`,
        type: 'kwok',
      },
    },
    // Room for every chart's requests at their defaults, with replicas spread across nodes.
    status: {
      allocatable: { cpu: '16', memory: '32Gi', pods: '110' },
      capacity: { cpu: '16', memory: '32Gi', pods: '110' },
    },
  };
}

async function applyNodes(ctx: StackContext): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: [...Array(kwokNodeCount).keys()].map(fakeNode) };
  const child = run(ctx.installed.kubectl, [
    '--kubeconfig',
    kubeconfigPath(ctx.settings),
    'apply',
    '-f',
    '-',
  ]);
  child.child.stdin?.end(JSON.stringify(list));
  await child;
}

export const kwok: ServerDefinition = {
  name: 'kwok',
  dependsOn: ['kube-apiserver'],
  endpoint: (ctx) => `http://127.0.0.1:${ctx.settings.ports.kwok}`,
  // The nodes are objects in the apiserver (etcd keeps them across restarts): apply is idempotent.
  prepare: async (ctx) => applyNodes(ctx),
  command: (ctx) => {
    const stages = join(dirname(dirname(ctx.installed.kwok)), 'stages');
    return {
      file: ctx.installed.kwok,
      args: [
        `--kubeconfig=${kubeconfigPath(ctx.settings)}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--cidr=10.0.64.0/18',
        '--node-ip=127.0.0.1',
        `--server-address=127.0.0.1:${ctx.settings.ports.kwok}`,
        ...readdirSync(stages)
          .filter((file) => file.endsWith('.yaml'))
          .sort()
          .map((file) => `--config=${join(stages, file)}`),
        '-v=INFO',
      ],
    };
  },
  probe: async (ctx) => {
    await expectHttpOk(`http://127.0.0.1:${ctx.settings.ports.kwok}/healthz`);
  },
  readyTimeoutMs: 60_000,
};
