// Concurrent first upserts of one counter on the real Mongo-wire server: without the retry some
// of them fail with E11000 (FerretDB does not retry them). The total is not asserted: FerretDB
// also loses concurrent $incs of an existing document (messaging's seq-ledger.ts says so too);
// MongoDB applies each atomically.
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { isDuplicateKeyError, upsertRetryingLostRace } from './mongo-upsert.ts';

const client = new MongoClient(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
const db = client.db(`kit_upsert_${randomUUID().slice(0, 8)}`);

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('concurrent upserts of a document that does not exist yet', () => {
  it('none fails', async () => {
    for (let round = 0; round < 5; round++) {
      const counters = db.collection<{ _id: string; bytes: number }>(`counter_${round}`);
      const increments = Array.from({ length: 6 }, () =>
        upsertRetryingLostRace(() =>
          counters.updateOne({ _id: 'usage' }, { $inc: { bytes: 10 } }, { upsert: true }),
        ),
      );
      const refused = (await Promise.allSettled(increments)).filter((r) => r.status === 'rejected');
      expect(refused.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect((await counters.findOne({ _id: 'usage' }))?.bytes).toBeGreaterThanOrEqual(10);
    }
  }, 60_000);
});

describe('isDuplicateKeyError', () => {
  it("knows E11000 on one write and among an insertMany's write errors, and nothing else", async () => {
    const docs = db.collection<{ _id: string }>('dup');
    await docs.insertOne({ _id: 'a' });
    const single = await docs.insertOne({ _id: 'a' }).catch((error: unknown) => error);
    const many = await docs
      .insertMany([{ _id: 'b' }, { _id: 'a' }], { ordered: false })
      .catch((error: unknown) => error);
    expect(isDuplicateKeyError(single)).toBe(true);
    expect(isDuplicateKeyError(many)).toBe(true);
    expect(isDuplicateKeyError({ writeErrors: [{ code: 11000 }] })).toBe(true);
    for (const other of [new Error('boom'), { code: 11001 }, undefined, null, 'E11000'])
      expect(isDuplicateKeyError(other)).toBe(false);
  });
});
