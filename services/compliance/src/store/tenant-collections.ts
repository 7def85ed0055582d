/**
 * The same collections in every tenant's database, for work over all tenants (the outbox relay's
 * sources, export expiry): the tenants come from the operator's registry (packages/tenancy's
 * TenantDirectory), never from the list of `parley_*` databases.
 */
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, Document, MongoClient } from 'mongodb';

export function tenantCollections(
  client: MongoClient,
  tenants: () => Promise<string[]>,
  collections: readonly string[],
): () => Promise<Collection<Document>[]> {
  return async () =>
    (await tenants()).flatMap((tenant) =>
      collections.map((collection) => client.db(mongoDatabaseName(tenant)).collection(collection)),
    );
}
