/**
 * The tenants whose databases exist, for the outbox relay's sources. Listing databases on every
 * relay pass would be wasteful, so the list is cached for a few seconds; a new tenant's first
 * GDPR job waits at most that long for its event to leave.
 */
import { isTenantId, PLATFORM_DATABASE } from '@parley/tenancy';
import type { Collection, Document, MongoClient } from 'mongodb';

export function tenantCollections(
  client: MongoClient,
  collections: readonly string[],
  cacheMs = 5_000,
): () => Promise<Collection<Document>[]> {
  let cached: { at: number; names: string[] } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
      const names = databases
        .map((d) => d.name)
        .filter((name) => name.startsWith('parley_') && name !== PLATFORM_DATABASE);
      cached = { at: Date.now(), names };
    }
    return cached.names.flatMap((name) =>
      collections.map((collection) => client.db(name).collection(collection)),
    );
  };
}

/** The tenant ids whose databases exist (parley_<tenant>, '-' stored as '_'). */
export function tenantIds(client: MongoClient): () => Promise<string[]> {
  return async () => {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    return databases
      .map((d) => d.name)
      .filter((name) => name.startsWith('parley_') && name !== PLATFORM_DATABASE)
      .map((name) => name.slice('parley_'.length).replaceAll('_', '-'))
      .filter((tenant) => isTenantId(tenant));
  };
}
