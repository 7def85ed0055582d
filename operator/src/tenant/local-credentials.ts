/**
 * Credentials for a tenant provisioned without a cluster (`npm start` on a laptop): the same data
 * the Secret holds, in an env file readable by its owner only. Passwords are read back on the
 * next run, so provisioning stays idempotent and running services keep working.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionFacts, TenantCredentials } from './credentials.ts';
import { secretData } from './credentials.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from './step.ts';

export function localCredentialsPath(dir: string, tenant: string): string {
  return join(dir, `${tenant}.env`);
}

function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1]) values[match[1]] = JSON.parse(match[2] ?? '""') as string;
  }
  return values;
}

export async function readOrGenerateLocalCredentials(
  dir: string,
  tenant: string,
): Promise<TenantCredentials> {
  let existing: Record<string, string> = {};
  try {
    existing = parseEnvFile(await readFile(localCredentialsPath(dir, tenant), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fresh = () => randomBytes(24).toString('base64url');
  return {
    redisPassword: existing.REDIS_PASSWORD ?? fresh(),
    kafkaPassword: existing.KAFKA_PASSWORD ?? fresh(),
    mongoPassword: existing.MONGO_PASSWORD ?? fresh(),
    s3SecretKey: existing.S3_SECRET_KEY ?? fresh(),
    searchPassword: existing.ELASTICSEARCH_PASSWORD ?? fresh(),
  };
}

export class LocalCredentialsStep implements TenantStep {
  readonly name = 'Credentials';
  readonly #dir: string;
  readonly #connection: ConnectionFacts;

  constructor(dir: string, connection: ConnectionFacts) {
    this.#dir = dir;
    this.#connection = connection;
  }

  async apply({ desired, credentials, facts }: TenantStepContext): Promise<StepOutcome> {
    const data = secretData(
      desired,
      credentials,
      this.#connection,
      facts.mongoUserSupported ?? false,
      facts.searchUserSupported ?? false,
    );
    const text = Object.entries(data)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n');
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const path = localCredentialsPath(this.#dir, desired.id);
    await writeFile(path, `${text}\n`, { mode: 0o600 });
    return ready('Written', `credentials in ${path}`);
  }
}
