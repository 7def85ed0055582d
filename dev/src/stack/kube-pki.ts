// Certificates, tokens and kubeconfig for the local control plane, made once per run dir with
// openssl: a CA, the API server's serving certificate, the service-account signing key pair, a
// token file whose admin is in system:masters, and the admin kubeconfig that KUBECONFIG names.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Settings } from '../settings.ts';
import { kubeconfigPath } from './env.ts';

const openssl = (args: string[], cwd: string) => promisify(execFile)('openssl', args, { cwd });

export interface KubePki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  tokenFile: string;
}

export function kubePki(settings: Settings): KubePki {
  const dir = join(settings.runDir, 'kubernetes', 'pki');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    tokenFile: join(dir, 'tokens.csv'),
  };
}

/** The admin's bearer token (local only, like every stack credential). */
export function adminToken(settings: Settings): string {
  return settings.adminPassword;
}

export async function ensureKubePki(settings: Settings): Promise<KubePki> {
  const pki = kubePki(settings);
  mkdirSync(pki.dir, { recursive: true, mode: 0o700 });
  const { dir } = pki;
  if (!existsSync(pki.caCert)) {
    await openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '3650',
        '-subj',
        '/CN=parley-dev-ca',
      ],
      dir,
    );
  }
  if (!existsSync(pki.serverCert)) {
    writeFileSync(
      join(dir, 'apiserver.ext'),
      [
        'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
        'extendedKeyUsage=serverAuth',
        'keyUsage=digitalSignature,keyEncipherment',
        '',
      ].join('\n'),
    );
    await openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'apiserver.key',
        '-out',
        'apiserver.csr',
        '-subj',
        '/CN=kube-apiserver',
      ],
      dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        'apiserver.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'apiserver.crt',
        '-days',
        '3650',
        '-extfile',
        'apiserver.ext',
      ],
      dir,
    );
  }
  if (!existsSync(pki.serviceAccountPub)) {
    await openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
    await openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  }
  // token,user,uid,"group1,group2": the admin belongs to system:masters (cluster-admin).
  writeFileSync(pki.tokenFile, `${adminToken(settings)},admin,admin,"system:masters"\n`, { mode: 0o600 });
  writeKubeconfig(settings, pki);
  return pki;
}

function writeKubeconfig(settings: Settings, pki: KubePki): void {
  const ca = readFileSync(pki.caCert).toString('base64');
  const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: parley
  cluster:
    server: https://127.0.0.1:${settings.ports.apiserver}
    certificate-authority-data: ${ca}
users:
- name: admin
  user:
    token: ${adminToken(settings)}
contexts:
- name: parley
  context:
    cluster: parley
    user: admin
current-context: parley
`;
  writeFileSync(kubeconfigPath(settings), kubeconfig, { mode: 0o600 });
}
