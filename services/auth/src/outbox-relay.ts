/**
 * Publishes the events the auth service's documents carry, through @parley/outbox's relay, over
 * the databases of every tenant the operator has provisioned (it has a runtime record in Redis, so
 * its topics exist): a stray `parley_*` database without topics (a test's leftovers) never stalls
 * the relay for the others. Security events (audit records) go to the tenant's `audit` topic;
 * delivery requests for a notifier (sign-up links and notices, invitations: sealed) go to its
 * `notifications` topic, which the compliance service does not read and a notifier does.
 */
import { AUTH_NOTIFICATION_EVENT_TYPES, type EventEnvelope } from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, redisKey, TENANT_RUNTIME_KEY } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type { Collection, Document } from 'mongodb';
import { OUTBOX_COLLECTIONS, type TenantStore } from './store/tenant-store.ts';

/** Tenants with a database here and a runtime record from the operator. */
export async function provisionedTenants(store: TenantStore, redis: Redis): Promise<string[]> {
  const candidates = await store.tenantsWithDatabases();
  if (candidates.length === 0) return [];
  const present = await redis
    .pipeline(candidates.map((t) => ['exists', redisKey(t, TENANT_RUNTIME_KEY)]))
    .exec();
  return candidates.filter((_, i) => present?.[i]?.[1] === 1);
}

const NOTIFICATION_TYPES = new Set(AUTH_NOTIFICATION_EVENT_TYPES);

/** The tenant's topic an auth event belongs on. */
export function topicForAuthEvent(event: Pick<EventEnvelope, 'tenant' | 'type'>): string {
  return kafkaTopic(event.tenant, NOTIFICATION_TYPES.has(event.type) ? 'notifications' : 'audit');
}

export function createOutboxRelay(options: {
  producer: Producer;
  store: TenantStore;
  logger: Logger;
  intervalMs: number;
  /** Only these tenants (tests); every provisioned tenant's database otherwise. */
  tenants?: () => string[];
  redis: Redis;
}): OutboxRelay {
  const { store, redis } = options;

  return new OutboxRelay({
    producer: options.producer,
    logger: options.logger,
    intervalMs: options.intervalMs,
    topicFor: topicForAuthEvent,
    sources: async () => {
      const tenants = options.tenants ? options.tenants() : await provisionedTenants(store, redis);
      const databases = await Promise.all(tenants.map(async (tenant) => (await store.forTenant(tenant)).db));
      return databases.flatMap((db) =>
        OUTBOX_COLLECTIONS.map((name) => db.collection(name) as Collection<Document>),
      );
    },
  });
}
