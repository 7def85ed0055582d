/**
 * Provisioning without a cluster (what `npm start` does for its demo tenant): the entry script
 * runs the Tenant reconciler's own steps against the local stores, writes the credentials to an
 * env file, and is idempotent (a second run keeps the passwords). The test then removes the
 * tenant through the operator's own Delete policy.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSilentLogger } from '@parley/kit/testing';
import { OutboxRelay } from '@parley/outbox';
import { TENANT_STREAMS } from '@parley/tenancy';
import { Redis } from 'ioredis';
import type { Collection, Document } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Tenant } from '../src/api/resources.ts';
import { openOperatorKeyring } from '../src/operator-keyring.ts';
import { topicForEvent } from '../src/start-operator.ts';
import { registryCollection } from '../src/tenant/registry.ts';
import { TenantDeletion } from '../src/tenant/tenant-deletion.ts';
import { operatorConfig, REPO_ROOT, removeTenantTopics, uniqueId } from './operator-fixture.ts';

const execFileAsync = promisify(execFile);
const tenant = uniqueId('tloc');
let dir: string | undefined;

async function provision(): Promise<string> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [join(REPO_ROOT, 'operator', 'src', 'provision-local-tenant.ts'), tenant],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        LOCAL_TENANT_CREDENTIALS_DIR: dir,
        AUTH_SERVICE_URL: 'http://127.0.0.1:1',
      },
    },
  );
  return stdout;
}

function envFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), JSON.parse(line.slice(at + 1)) as string];
      }),
  );
}

afterAll(async () => {
  // The operator's own Delete policy removes everything the script made.
  const config = operatorConfig('local');
  const logger = createSilentLogger();
  const { connectOperatorClients } = await import('../src/clients.ts');
  const clients = await connectOperatorClients(config, logger);
  const keys = await openOperatorKeyring(config, clients, logger);
  const local: Tenant = {
    apiVersion: API_VERSION,
    kind: 'Tenant',
    metadata: { name: tenant, namespace: 'local', uid: `local-${tenant}`, generation: 1 },
    spec: { displayName: 'x', plan: 'team', deletionPolicy: 'Delete' },
  };
  await new TenantDeletion({
    mongo: clients.mongo.client,
    registry: registryCollection(clients.mongo.client),
    redis: clients.redis.client,
    kafka: clients.kafka.admin,
    kafkaPlatformatic: clients.kafkaPlatformatic,
    s3: clients.s3,
    s3Admin: clients.s3Admin,
    elasticsearch: clients.elasticsearch,
    keys,
    events: { record: async () => {} },
    logger,
  }).run(local);
  // Publish the deletion's events before the topics they go to are removed.
  await new OutboxRelay({
    producer: clients.kafka.producer,
    logger,
    sources: async () =>
      [registryCollection(clients.mongo.client), keys.outboxSource] as unknown as Collection<Document>[],
    topicFor: topicForEvent,
    // Bounded: the registry holds every tenant's documents, and another test's whose topics are
    // gone costs the producer's whole retry budget each time.
    stopTimeoutMs: 30_000,
  }).stop();
  for (const s of clients.stoppables) await s.stop();
  await removeTenantTopics([tenant]);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('provision-local-tenant', { timeout: 180_000 }, () => {
  it('provisions every store through the same steps, idempotently, with credentials in a private env file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-local-tenants-'));
    const first = await provision();
    expect(first).toMatch(/^Runtime\s+True\s+Published: registry entry Ready/m);
    expect(first).not.toMatch(/False|Unknown/);
    const path = join(dir, `${tenant}.env`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const credentials = envFile(await readFile(path, 'utf8'));
    expect(first).not.toContain(credentials.REDIS_PASSWORD as string); // never printed

    const second = await provision();
    expect(second).toMatch(
      new RegExp(
        `KafkaTopics\\s+True\\s+Provisioned: ${TENANT_STREAMS.length} topics .*\\(0 created, 0 grown\\)`,
      ),
    );
    expect(envFile(await readFile(path, 'utf8')).KAFKA_PASSWORD).toBe(credentials.KAFKA_PASSWORD);

    // No ready check: it sends INFO, which the tenant's own user may not run.
    const redis = new Redis(credentials.REDIS_URL as string, {
      maxRetriesPerRequest: 1,
      enableReadyCheck: false,
    });
    try {
      expect(await redis.hget(`t:${tenant}:runtime`, 'status')).toBe('Ready');
      await expect(redis.get('t:other:runtime')).rejects.toThrow(/NOPERM/);
    } finally {
      redis.disconnect();
    }
  });
});
