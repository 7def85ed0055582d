/**
 * A tenant's media usage under concurrency, on the real Mongo-wire server: uploads that finish
 * together (the media service's MediaRecords.addUsage) and a retention purge giving bytes back at
 * the same time (addMediaUsage, as S3MediaPurgeTarget calls it) each count exactly once. FerretDB
 * loses concurrent `$inc`s of one document, so before the lock this counted less than was stored,
 * and the quota check (which reads it) let a tenant past its storage limit. And uploads that begin
 * together each hold their bytes against the quota (MediaRecords.reserve), so together they never
 * take more than it has left.
 */
import { randomBytes } from 'node:crypto';
import { MEDIA_USAGE_COLLECTION, MEDIA_USAGE_ID } from '@parley/contracts';
import { connectMongo, type MongoConnection } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { type MediaRecord, MediaRecords } from '@parley/media-service/src/store/media-records.ts';
import { addMediaUsage } from '@parley/retention';
import { mongoDatabaseName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let mongo: MongoConnection;
const tenant = `mu${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  mongo = await connectMongo(process.env.MONGO_URL as string, createSilentLogger('media'));
});
afterAll(async () => {
  await mongo?.client.db(mongoDatabaseName(tenant)).dropDatabase();
  await mongo?.stop();
});

describe("a tenant's media usage", () => {
  it('counts every upload and every purge once when they happen together', async () => {
    const records = new MediaRecords(mongo.client);
    const db = mongo.client.db(mongoDatabaseName(tenant));
    const uploads = Array.from({ length: 40 }, () => records.addUsage(tenant, 1_000));
    const purges = Array.from({ length: 10 }, () => addMediaUsage(db, -100));
    await Promise.all([...uploads, ...purges]);
    expect(await records.usedBytes(tenant)).toBe(40 * 1_000 - 10 * 100);
    // The lock is gone with its holders: only the usage document is left.
    const documents = await db.collection(MEDIA_USAGE_COLLECTION).find().toArray();
    expect(documents).toEqual([{ _id: MEDIA_USAGE_ID, bytes: 39_000 }]);
  });

  it('lets uploads that begin together hold no more than the quota has left', async () => {
    const records = new MediaRecords(mongo.client);
    const quota = { quotaBytes: 10_000, maxFileBytes: 5_000 };
    let n = 0;
    const record = (): MediaRecord => ({
      _id: `reserve-${n++}`,
      conversationId: 'c1',
      uploaderId: 'u1',
      state: 'uploading',
      size: 0,
      contentType: 'text/plain',
      sha256: '',
      keyName: 'k',
      keyVersion: 1,
      chunkSize: 65_536,
      headerLength: 0,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const usedBefore = await records.usedBytes(tenant);
    const limits = { ...quota, quotaBytes: usedBefore + quota.quotaBytes };
    // Eight uploads of 3,000 declared bytes begin at once: three fit in 10,000, never four.
    const held = await Promise.all(
      Array.from({ length: 8 }, () => {
        const r = record();
        return records
          .reserve(tenant, r, { ...limits, declaredBytes: 3_000 })
          .then((bytes) => ({ r, bytes }));
      }),
    );
    const admitted = held.filter((h) => h.bytes !== undefined);
    expect(admitted.map((h) => h.bytes)).toEqual([3_000, 3_000, 3_000]);
    // One without a declared length may take what is left (1,000), and then nothing is left.
    const undeclared = record();
    expect(await records.reserve(tenant, undeclared, limits)).toBe(1_000);
    expect(await records.reserve(tenant, record(), limits)).toBeUndefined();
    // Finishing counts the size and releases the hold: a finished 2,000 of 3,000 leaves 1,000.
    const first = admitted[0]?.r;
    if (!first) throw new Error('nothing admitted');
    const done = await records.complete(tenant, first._id, { size: 2_000, sha256: 'x' });
    expect(done).toMatchObject({ state: 'ready', size: 2_000 });
    expect(done).not.toHaveProperty('reservedBytes');
    expect(await records.usedBytes(tenant)).toBe(usedBefore + 2_000);
    expect(await records.reserve(tenant, record(), { ...limits, declaredBytes: 1_001 })).toBeUndefined();
    expect(await records.reserve(tenant, record(), { ...limits, declaredBytes: 1_000 })).toBe(1_000);
  });
});
