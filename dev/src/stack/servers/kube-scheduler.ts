// kube-scheduler, of the same release as the apiserver: places pods on the kwok nodes (resources,
// affinity, spread, taints), so a `helm install --wait` rolls out as on a cluster.
import { kubeconfigPath } from '../env.ts';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const kubeScheduler: ServerDefinition = {
  name: 'kube-scheduler',
  dependsOn: ['kube-apiserver'],
  endpoint: (ctx) => `https://127.0.0.1:${ctx.settings.ports.scheduler}`,
  prepare: async () => {},
  command: (ctx, dataDir) => {
    const kubeconfig = kubeconfigPath(ctx.settings);
    return {
      file: ctx.installed.kubeScheduler,
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${ctx.settings.ports.scheduler}`,
        `--cert-dir=${dataDir}`,
        '--leader-elect=false',
        '--v=1',
      ],
    };
  },
  probe: async (ctx) => {
    await expectHttpOk(`https://127.0.0.1:${ctx.settings.ports.scheduler}/healthz`, { insecure: true });
  },
  readyTimeoutMs: 60_000,
};
