/**
 * Publishes the events the auth service's documents carry (security events as audit records) to
 * each tenant's `audit` topic, through @parley/outbox's relay, over every tenant database.
 */
import type { Logger } from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic } from '@parley/tenancy';
import type { Producer } from 'kafkajs';
import type { Collection, Document } from 'mongodb';
import { OUTBOX_COLLECTIONS, type TenantStore } from './store/tenant-store.ts';

export function createAuditRelay(options: {
  producer: Producer;
  store: TenantStore;
  logger: Logger;
  intervalMs: number;
  /** Only these tenants (tests); every tenant database otherwise. */
  tenants?: () => string[];
}): OutboxRelay {
  const { store } = options;
  return new OutboxRelay({
    producer: options.producer,
    logger: options.logger,
    intervalMs: options.intervalMs,
    topicFor: (event) => kafkaTopic(event.tenant, 'audit'),
    sources: async () => {
      const databases = options.tenants
        ? await Promise.all(options.tenants().map(async (tenant) => (await store.forTenant(tenant)).db))
        : await store.tenantDatabases();
      return databases.flatMap((db) =>
        OUTBOX_COLLECTIONS.map((name) => db.collection(name) as Collection<Document>),
      );
    },
  });
}
