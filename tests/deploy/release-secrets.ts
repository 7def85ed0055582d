/** The Secrets a `helm install` of the umbrella needs (README, Deploying with Helm), for the deploy tests. */
import { randomBytes } from 'node:crypto';
import { kubectl } from './helm.ts';

/** Every Secret the umbrella needs, with values that pass its checks (no container reads them). */
export const releaseSecrets: Record<string, Record<string, string>> = {
  'parley-connections': {
    MONGO_URL: 'mongodb://mongodb:27017/',
    REDIS_URL: 'redis://redis:6379',
    KAFKA_BROKERS: 'kafka:9092',
  },
  'parley-master-keys': { 'test.key': randomBytes(32).toString('base64') },
  'parley-media-link-secret': { MEDIA_LINK_SECRET: randomBytes(24).toString('hex') },
  'parley-audit-signing-key': { 'audit-signing-key.pem': 'not read: no container runs' },
  'parley-gateway-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-messaging-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-auth-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-compliance-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-crypto-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-operator-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-socket-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-media-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-search-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-notifier-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
  'parley-integrations-credentials': { SERVICE_TOKEN: randomBytes(16).toString('hex') },
};

export async function createReleaseSecret(namespace: string, name: string): Promise<void> {
  const args = ['create', 'secret', 'generic', name, '-n', namespace];
  for (const [key, value] of Object.entries(releaseSecrets[name] ?? {}))
    args.push(`--from-literal=${key}=${value}`);
  await kubectl(args);
}

export async function createReleaseSecrets(namespace: string): Promise<void> {
  for (const name of Object.keys(releaseSecrets)) await createReleaseSecret(namespace, name);
}
