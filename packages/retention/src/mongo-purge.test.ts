// Integration: retention on the real Mongo-wire server. Deletes exactly what is expired, keeps
// everything a hold covers (including a hold placed in the middle of a run), records the run.
import { randomUUID } from 'node:crypto';
import { mongoDatabaseName } from '@parley/tenancy';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegalHoldStore } from './legal-hold-store.ts';
import { MongoPurgeTarget } from './mongo-purge-target.ts';
import { parseRetentionPolicy } from './policy.ts';
import { RetentionPolicyStore } from './retention-policy-store.ts';
import { RetentionRunStore } from './retention-run-store.ts';
import { runPurge } from './run-purge.ts';

const mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) throw new Error('MONGO_URL is not set: run through vitest with the stack global setup');

let client: MongoClient;
const tenants: string[] = [];
const now = new Date();
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

beforeAll(async () => {
  client = await new MongoClient(mongoUrl).connect();
});
afterAll(async () => {
  for (const t of tenants) await client.db(mongoDatabaseName(t)).dropDatabase();
  await client.close();
});

function freshTenant(): string {
  const t = `ret-${randomUUID().slice(0, 8)}`;
  tenants.push(t);
  return t;
}

describe('retention on Mongo', () => {
  it('deletes exactly the expired messages no hold covers, in batches, and records the run', async () => {
    const tenant = freshTenant();
    const db = client.db(mongoDatabaseName(tenant));
    const messages = db.collection('messages');
    const docs = [
      ...Array.from({ length: 23 }, (_, i) => ({
        _id: `old-${i}`,
        createdAt: daysAgo(40 + i),
        conversationId: 'general',
        authorId: 'amy',
      })),
      { _id: 'fresh', createdAt: daysAgo(3), conversationId: 'general', authorId: 'amy' },
      { _id: 'held-author', createdAt: daysAgo(60), conversationId: 'general', authorId: 'bob' },
      { _id: 'held-conversation', createdAt: daysAgo(60), conversationId: 'case-file', authorId: 'amy' },
      { _id: 'long-kept', createdAt: daysAgo(100), conversationId: 'board', authorId: 'amy' },
      { _id: 'long-expired', createdAt: daysAgo(400), conversationId: 'board', authorId: 'amy' },
      { _id: 'late-held', createdAt: daysAgo(31), conversationId: 'hr', authorId: 'cyd' },
    ];
    await messages.insertMany(docs as never[]);
    const holds = new LegalHoldStore(client, tenant);
    await holds.place({ scope: { kind: 'person', userId: 'bob' }, reason: 'case 1', setBy: 'counsel' });
    await holds.place({
      scope: { kind: 'conversation', conversationId: 'case-file' },
      reason: 'case 2',
      setBy: 'counsel',
    });

    const policies = new RetentionPolicyStore(client, tenant);
    await policies.put(
      parseRetentionPolicy({
        name: 'default',
        dryRun: false,
        rules: [
          { resource: 'messages', maxAgeSeconds: 30 * 86_400 },
          { resource: 'messages', maxAgeSeconds: 365 * 86_400, conversationIds: ['board'] },
        ],
      }),
    );
    const policy = await policies.get('default');
    if (!policy) throw new Error('policy not stored');

    // A hold placed while the run is under way (before its second batch; the held item is among
    // the youngest expired, so in a later batch) applies at once.
    let reads = 0;
    const runs = new RetentionRunStore(client, tenant);
    const run = await runPurge(policy, {
      tenant,
      targets: {
        messages: new MongoPurgeTarget({
          resource: 'messages',
          collection: messages,
          createdAtField: 'createdAt',
          conversationField: 'conversationId',
          subjectFields: ['authorId'],
        }),
      },
      holds: async () => {
        reads += 1;
        if (reads === 2)
          await holds.place({
            scope: { kind: 'conversation', conversationId: 'hr' },
            reason: 'case 3',
            setBy: 'counsel',
          });
        return holds.active();
      },
      now,
      batchSize: 5,
      pauseMs: 1,
      onFinished: (r) => runs.record(r),
    });

    const left = (await messages.find().toArray()).map((d) => d._id).sort();
    expect(left).toEqual(['fresh', 'held-author', 'held-conversation', 'late-held', 'long-kept']);
    expect(run.counts.messages).toMatchObject({ deleted: 24, skippedHeld: 3 });
    expect(run.status).toBe('succeeded');
    expect(run.holdsApplied).toHaveLength(3);
    const recorded = await runs.latest('default');
    expect(recorded).toMatchObject({ id: run.id, counts: { messages: { deleted: 24 } } });

    // A second run finds nothing more to delete: the held items stay held.
    const again = await runPurge(policy, {
      tenant,
      targets: {
        messages: new MongoPurgeTarget({
          resource: 'messages',
          collection: messages,
          createdAtField: 'createdAt',
          conversationField: 'conversationId',
          subjectFields: ['authorId'],
        }),
      },
      holds: () => holds.active(),
      now,
      pauseMs: 0,
    });
    expect(again.counts.messages).toMatchObject({ deleted: 0, skippedHeld: 3 });
  });

  it('a lifted hold lets the next run delete; holds are kept as records after lifting', async () => {
    const tenant = freshTenant();
    const messages = client.db(mongoDatabaseName(tenant)).collection('messages');
    await messages.insertMany([
      { _id: 'm1', createdAt: daysAgo(50), conversationId: 'c', authorId: 'x' },
    ] as never[]);
    const holds = new LegalHoldStore(client, tenant);
    const hold = await holds.place({ scope: { kind: 'tenant' }, reason: 'audit by regulator', setBy: 'dpo' });
    const target = new MongoPurgeTarget({
      resource: 'messages',
      collection: messages,
      createdAtField: 'createdAt',
      conversationField: 'conversationId',
    });
    const policy = parseRetentionPolicy({
      name: 'p',
      dryRun: false,
      rules: [{ resource: 'messages', maxAgeSeconds: 86_400 }],
    });
    const blocked = await runPurge(policy, {
      tenant,
      targets: { messages: target },
      holds: () => holds.active(),
      now,
      pauseMs: 0,
    });
    expect(blocked.counts.messages?.deleted).toBe(0);
    await holds.lift(hold.id, { liftedBy: 'dpo', reason: 'closed' });
    const freed = await runPurge(policy, {
      tenant,
      targets: { messages: target },
      holds: () => holds.active(),
      now,
      pauseMs: 0,
    });
    expect(freed.counts.messages?.deleted).toBe(1);
    expect(await holds.list({ includeLifted: true })).toEqual([
      expect.objectContaining({ id: hold.id, liftedBy: 'dpo', liftReason: 'closed' }),
    ]);
  });
});
