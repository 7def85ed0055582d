// kube-controller-manager with the controllers a pod-less cluster can use: namespace deletion,
// garbage collection (ownerReferences), service accounts and their tokens, deployments/replicasets,
// statefulsets (the gateway's: a claim per replica), jobs (the CRD upgrade hook), endpoint slices
// (Services of pods kwok marks ready), claims bound to the volumes a test makes, PDB status, and
// node lifecycle (it lifts the not-ready taint the apiserver puts on a new node once kwok has it Ready).
import { kubeconfigPath } from '../env.ts';
import { kubePki } from '../kube-pki.ts';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const kubeControllerManager: ServerDefinition = {
  name: 'kube-controller-manager',
  dependsOn: ['kube-apiserver'],
  endpoint: (ctx) => `https://127.0.0.1:${ctx.settings.ports.controllerManager}`,
  prepare: async () => {},
  command: (ctx, dataDir) => {
    const pki = kubePki(ctx.settings);
    const kubeconfig = kubeconfigPath(ctx.settings);
    return {
      file: ctx.installed.kubeControllerManager,
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${ctx.settings.ports.controllerManager}`,
        `--cert-dir=${dataDir}`,
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        '--leader-elect=false',
        '--controllers=namespace,garbagecollector,serviceaccount,serviceaccount-token,deployment,replicaset,statefulset,job,endpointslice,persistentvolume-binder,disruption,nodelifecycle',
        '--v=1',
      ],
    };
  },
  probe: async (ctx) => {
    // /healthz is open to anyone by default; the serving certificate is self-signed.
    await expectHttpOk(`https://127.0.0.1:${ctx.settings.ports.controllerManager}/healthz`, {
      insecure: true,
    });
  },
  readyTimeoutMs: 60_000,
};
