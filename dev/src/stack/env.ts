// The stack's connection settings: what `stack env` prints and what services and tests read.
// Every value is an administrator's credential; tenants get their own from the operator.
import { dirname, join } from 'node:path';
import type { Settings } from '../settings.ts';
import type { InstalledPaths } from './catalog.ts';

export const kafkaAdminUser = 'admin';
export const s3AccessKey = 'parley-admin';

export function kubeconfigPath(settings: Settings): string {
  return join(settings.runDir, 'kubernetes', 'admin.kubeconfig');
}

export function connectionEnv(settings: Settings, installed: InstalledPaths): Record<string, string> {
  const { ports, adminPassword } = settings;
  const password = encodeURIComponent(adminPassword);
  return {
    MONGO_URL: `mongodb://127.0.0.1:${ports.mongo}/`,
    REDIS_URL: `redis://default:${password}@127.0.0.1:${ports.redis}`,
    KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    KAFKA_USERNAME: kafkaAdminUser,
    KAFKA_PASSWORD: adminPassword,
    ELASTICSEARCH_URL: `http://127.0.0.1:${ports.elasticsearch}`,
    S3_ENDPOINT: `http://127.0.0.1:${ports.minio}`,
    S3_ACCESS_KEY: s3AccessKey,
    S3_SECRET_KEY: adminPassword,
    KUBECONFIG: kubeconfigPath(settings),
    // Mailpit: what the notifier sends through (plain SMTP on loopback, no auth) and the HTTP API
    // (`/api/v1/messages`) and web UI where tests and people read what arrived.
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(ports.mailpitSmtp),
    MAILPIT_URL: `http://127.0.0.1:${ports.mailpitHttp}`,
    // The stack is for development: services started against it (npm start, the tests) may use
    // the public default service credentials, which every deployment refuses (packages/kit).
    PARLEY_ENV: 'development',
    // Not connection settings, but tests and scripts need the matching client binaries.
    PARLEY_KUBECTL: installed.kubectl,
    PARLEY_HELM: installed.helm,
    // The prometheus-operator CRDs it checks ServiceMonitors against are in ../crds beside it.
    PARLEY_KUBECONFORM: installed.kubeconform,
    PARLEY_HADOLINT: installed.hadolint,
    PARLEY_SCHEMATHESIS: installed.schemathesis,
    PARLEY_PROMTOOL: installed.promtool,
  };
}

/** PATH with kubectl and helm first, so a shell that evals `stack env` finds the right versions. */
export function pathWithTools(installed: InstalledPaths, currentPath: string | undefined): string {
  const toolDirs = [...new Set([dirname(installed.kubectl), dirname(installed.helm)])];
  return [...toolDirs, ...(currentPath ?? '').split(':').filter((d) => d && !toolDirs.includes(d))].join(':');
}
