/**
 * Whose an outbox is, from the database it was read from, never from the events it carries. A
 * tenant's Mongo credential (its Secret) can write its own database `parley_<tenant>`, so every
 * event found there is that tenant's claim and may only go to that tenant's topics. Databases
 * only platform credentials write (the platform database: the operator's registry, the
 * keyring's key events) may announce events of any tenant. Any other database is neither and
 * its events are refused: an outbox nobody vouches for publishes nothing.
 */
import { isTenantId, mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';

export type OutboxOrigin =
  | { kind: 'tenant'; tenant: string }
  | { kind: 'platform' }
  | { kind: 'unknown'; database: string };

export const DEFAULT_PLATFORM_DATABASES: readonly string[] = [PLATFORM_DATABASE];

/** `parley_acme_corp` -> tenant `acme-corp`; a platform database -> platform; else unknown. */
export function outboxOrigin(
  database: string,
  platformDatabases: readonly string[] = DEFAULT_PLATFORM_DATABASES,
): OutboxOrigin {
  if (platformDatabases.includes(database)) return { kind: 'platform' };
  if (database.startsWith('parley_')) {
    // Tenant ids have no '_', so mongoDatabaseName's '-' -> '_' is undone exactly; the round trip
    // rejects anything mongoDatabaseName would not have produced.
    const tenant = database.slice('parley_'.length).replaceAll('_', '-');
    if (isTenantId(tenant) && mongoDatabaseName(tenant) === database) return { kind: 'tenant', tenant };
  }
  return { kind: 'unknown', database };
}
