/**
 * A tenant's media usage under concurrency, on the real Mongo-wire server: uploads that finish
 * together (the media service's MediaRecords.addUsage) and a retention purge giving bytes back at
 * the same time (addMediaUsage, as S3MediaPurgeTarget calls it) each count exactly once. FerretDB
 * loses concurrent `$inc`s of one document, so before the lock this counted less than was stored,
 * and the quota check (which reads it) let a tenant past its storage limit.
 */
import { randomBytes } from 'node:crypto';
import { MEDIA_USAGE_COLLECTION, MEDIA_USAGE_ID } from '@parley/contracts';
import { connectMongo, type MongoConnection } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { MediaRecords } from '@parley/media-service/src/store/media-records.ts';
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
});
