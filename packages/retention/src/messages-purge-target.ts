/**
 * The purge target for a tenant's messages: the `messages` collection of the tenant database, as
 * the messaging service writes it (createdAt, conversationId, senderId). One definition, so the
 * operator's scheduled runs and the compliance service's on-demand runs purge the same way.
 */
import { mongoDatabaseName } from '@parley/tenancy';
import type { MongoClient } from 'mongodb';
import { MongoPurgeTarget } from './mongo-purge-target.ts';

export function messagesPurgeTarget(client: MongoClient, tenant: string): MongoPurgeTarget {
  return new MongoPurgeTarget({
    resource: 'messages',
    collection: client.db(mongoDatabaseName(tenant)).collection('messages'),
    createdAtField: 'createdAt',
    conversationField: 'conversationId',
    subjectFields: ['senderId'],
  });
}
