// Integration: legal holds on the real Mongo-wire server. A hold outlives its tenant's database
// (the platform copy), one tenant's holds never show up in another's, lifting lifts both copies.
import { randomUUID } from 'node:crypto';
import { mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegalHoldStore, PLATFORM_LEGAL_HOLDS_COLLECTION } from './legal-hold-store.ts';

const mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) throw new Error('MONGO_URL is not set: run through vitest with the stack global setup');

let client: MongoClient;
const tenants: string[] = [];

function freshTenant(): string {
  const t = `hold-${randomUUID().slice(0, 8)}`;
  tenants.push(t);
  return t;
}

beforeAll(async () => {
  client = await new MongoClient(mongoUrl).connect();
});
afterAll(async () => {
  for (const t of tenants) {
    await client.db(mongoDatabaseName(t)).dropDatabase();
    await client.db(PLATFORM_DATABASE).collection(PLATFORM_LEGAL_HOLDS_COLLECTION).deleteMany({ tenant: t });
  }
  await client.close();
});

describe('legal holds', () => {
  it("a legal hold survives dropping the tenant's database", async () => {
    const tenant = freshTenant();
    const holds = new LegalHoldStore(client, tenant);
    const hold = await holds.place({ scope: { kind: 'tenant' }, reason: 'case 7', setBy: 'counsel' });
    await client.db(mongoDatabaseName(tenant)).dropDatabase();

    const after = await new LegalHoldStore(client, tenant).active();
    expect(after.holds.map((h) => h.id)).toEqual([hold.id]);
    expect(after.covering({})).toHaveLength(1);
    // Still liftable, and then gone from both copies.
    expect((await holds.lift(hold.id, { liftedBy: 'counsel', reason: 'closed' }))?.liftedBy).toBe('counsel');
    expect((await holds.active()).isEmpty).toBe(true);
    expect((await holds.list({ includeLifted: true }))[0]?.liftReason).toBe('closed');
  });

  it("a tenant's holds are not another tenant's", async () => {
    const a = freshTenant();
    const b = freshTenant();
    await new LegalHoldStore(client, a).place({ scope: { kind: 'tenant' }, reason: 'a', setBy: 'counsel' });
    expect((await new LegalHoldStore(client, b).active()).isEmpty).toBe(true);
  });

  it('a hold lifted in one copy only (a crash between the two writes) still holds until lifted again', async () => {
    const tenant = freshTenant();
    const holds = new LegalHoldStore(client, tenant);
    const hold = await holds.place({
      scope: { kind: 'person', userId: 'u1' },
      reason: 'c',
      setBy: 'counsel',
    });
    await client
      .db(mongoDatabaseName(tenant))
      .collection('legal_holds')
      .updateOne({ _id: hold.id as never }, { $set: { liftedAt: new Date().toISOString() } });
    expect((await holds.active()).coveringPerson('u1').map((h) => h.id)).toEqual([hold.id]);
    expect(await holds.lift(hold.id, { liftedBy: 'counsel', reason: 'done' })).toBeDefined();
    expect((await holds.active()).isEmpty).toBe(true);
  });
});
