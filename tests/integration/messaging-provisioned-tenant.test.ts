// Messaging on a tenant database as the operator provisions it: the operator makes every tenant's
// collections and their indexes under names of its own before the tenant is served
// (operator/src/tenant/desired-state.ts), and messaging, on its first request for that tenant,
// asks for its own indexes on the same collections. One of them has the same keys as the
// operator's `conversation_timeline`; under another name the server answers IndexOptionsConflict,
// which failed every request of every provisioned tenant (the tests' own tenants have no operator).
import { randomUUID } from 'node:crypto';
import { openMessagingFixture, uniqueTenant } from '@parley/messaging-service/testing';
import { TENANT_COLLECTIONS } from '@parley/operator';
import { mongoDatabaseName } from '@parley/tenancy';
import { MongoClient } from 'mongodb';
import { afterAll, expect, it } from 'vitest';

const tenant = uniqueTenant('prov');
const mongo = new MongoClient(process.env.MONGO_URL ?? '');

afterAll(async () => {
  await mongo.db(mongoDatabaseName(tenant)).dropDatabase();
  await mongo.close();
});

it('serves a tenant whose database the operator made, indexes and all', async () => {
  const db = mongo.db(mongoDatabaseName(tenant));
  // As the operator's Mongo step does: a collection without indexes of its own is only created.
  for (const collection of TENANT_COLLECTIONS) {
    if (collection.indexes.length === 0) {
      await db.createCollection(collection.name);
      continue;
    }
    await db.collection(collection.name).createIndexes(
      collection.indexes.map((index) => ({
        key: index.key,
        name: index.name,
        unique: index.unique ?? false,
      })),
    );
  }
  const f = await openMessagingFixture({ tenant });
  try {
    const created = await f.call('alice', 'POST', '/conversations', {
      kind: 'group',
      name: 'provisioned',
      memberIds: ['bob'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    const sent = await f.call('alice', 'POST', `/conversations/${id}/messages`, {
      clientMessageId: randomUUID(),
      text: 'hello from a provisioned tenant',
    });
    expect(sent.statusCode, sent.body).toBe(201);
    const history = await f.call('bob', 'GET', `/conversations/${id}/messages`);
    expect(history.json().messages.map((m: { text: string }) => m.text)).toEqual([
      'hello from a provisioned tenant',
    ]);
    // The operator's index is the one that serves the timeline; messaging made no second copy.
    const names = (await db.collection('messages').indexes()).map((index) => index.name);
    expect(names).toContain('conversation_timeline');
    expect(names).not.toContain('conversationId_1_createdAt_1');
  } finally {
    await f.close();
  }
});
