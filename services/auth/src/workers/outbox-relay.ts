/**
 * Publishes the events the auth service's documents carry, through @parley/outbox's relay, over
 * the databases of every tenant the operator's registry says is served (packages/tenancy's
 * TenantDirectory: Ready or Suspended, so its topics exist): a stray `parley_*` database without
 * a registry entry (a test's leftovers) is never read, and never stalls the relay for the others. Security events (audit records) go to the tenant's `audit` topic;
 * delivery requests for a notifier (sign-up links and notices, invitations: sealed) go to its
 * `notifications` topic, which the compliance service does not read and a notifier does.
 */
import { AUTH_NOTIFICATION_EVENT_TYPES, type EventEnvelope } from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic } from '@parley/tenancy';
import type { Producer } from 'kafkajs';
import type { Collection, Document } from 'mongodb';
import { OUTBOX_COLLECTIONS, type TenantStore } from '../store/tenant-store.ts';

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
  /** The tenants whose databases are read: the directory's served tenants (tests: their own). */
  tenants: () => Promise<string[]> | string[];
}): OutboxRelay {
  const { store } = options;

  return new OutboxRelay({
    producer: options.producer,
    logger: options.logger,
    intervalMs: options.intervalMs,
    topicFor: topicForAuthEvent,
    sources: async () => {
      const tenants = await options.tenants();
      const databases = await Promise.all(tenants.map(async (tenant) => (await store.forTenant(tenant)).db));
      return databases.flatMap((db) =>
        OUTBOX_COLLECTIONS.map((name) => db.collection(name) as Collection<Document>),
      );
    },
  });
}
