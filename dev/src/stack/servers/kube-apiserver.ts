// kube-apiserver over the stack's etcd: RBAC, token auth (an admin in system:masters), and
// service-account tokens, so the operator and its tests meet a real API server. No kubelet runs:
// pods stay Pending, but CRDs, custom resources, namespaces and garbage collection all work.
import { readFileSync } from 'node:fs';
import { adminToken, ensureKubePki, kubePki } from '../kube-pki.ts';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const kubeApiserver: ServerDefinition = {
  name: 'kube-apiserver',
  dependsOn: ['etcd'],
  endpoint: (ctx) => `https://127.0.0.1:${ctx.settings.ports.apiserver}`,
  prepare: async (ctx) => {
    await ensureKubePki(ctx.settings);
  },
  command: (ctx) => {
    const pki = kubePki(ctx.settings);
    return {
      file: ctx.installed.kubeApiserver,
      args: [
        `--etcd-servers=http://127.0.0.1:${ctx.settings.ports.etcd}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${ctx.settings.ports.apiserver}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${pki.tokenFile}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--profiling=false',
        '--v=1',
      ],
    };
  },
  probe: async (ctx) => {
    const pki = kubePki(ctx.settings);
    await expectHttpOk(`https://127.0.0.1:${ctx.settings.ports.apiserver}/readyz`, {
      ca: readFileSync(pki.caCert, 'utf8'),
      bearerToken: adminToken(ctx.settings),
    });
  },
  readyTimeoutMs: 90_000,
};
