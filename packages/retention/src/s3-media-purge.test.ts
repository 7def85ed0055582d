// Integration: media retention on the local stack's real MinIO (objects) and Mongo-wire server
// (legal holds). S3 sets LastModified itself, so "old" and "young" are objects uploaded before and
// after a cut-off instant T, and the run's clock is T + the rule's maximum age.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  MEDIA_RECORDS_COLLECTION,
  MEDIA_USAGE_COLLECTION,
  MEDIA_USAGE_ID,
  mediaDerivedObjectKey,
  mediaObjectKey,
  mediaObjectMetadata,
} from '@parley/contracts';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import { Client as MinioClient } from 'minio';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegalHoldStore } from './legal-hold-store.ts';
import { parseRetentionPolicy } from './policy.ts';
import { planPurge, runPurge } from './run-purge.ts';
import { S3MediaPurgeTarget } from './s3-media-purge-target.ts';

const { MONGO_URL, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY } = process.env;
if (!MONGO_URL || !S3_ENDPOINT || !S3_ACCESS_KEY || !S3_SECRET_KEY)
  throw new Error('MONGO_URL and S3_* are not set: run through vitest with the stack global setup');

const DAY = 86_400_000;
const endpoint = new URL(S3_ENDPOINT);
const s3 = new MinioClient({
  endPoint: endpoint.hostname,
  port: Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80)),
  useSSL: endpoint.protocol === 'https:',
  accessKey: S3_ACCESS_KEY,
  secretKey: S3_SECRET_KEY,
  pathStyle: true,
});
let mongo: MongoClient;

const suffix = randomUUID().slice(0, 8);
const tenant = `rm${suffix}`;
const other = `rn${suffix}`;
const bucketless = `ro${suffix}`;
/** The cut-off instant: objects uploaded before it are old, after it young. */
let cutoff: Date;

const key = (conversationId: string, mediaId: string) => mediaObjectKey({ conversationId, mediaId });
const OLD_FREE = Array.from({ length: 7 }, (_, i) => key('c-free', `m${i}`));

async function put(t: string, name: string, uploader?: string): Promise<void> {
  const body = Buffer.from(`media ${name}`);
  await s3.putObject(s3BucketName(t), name, body, body.length, uploader ? mediaObjectMetadata(uploader) : {});
}

async function keys(t: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of s3.listObjectsV2(s3BucketName(t), '', true)) if (item.name) names.push(item.name);
  return names.sort();
}

async function removeBucket(t: string): Promise<void> {
  const bucket = s3BucketName(t);
  if (!(await s3.bucketExists(bucket))) return;
  await s3.removeObjects(bucket, await keys(t));
  await s3.removeBucket(bucket);
}

const policy = parseRetentionPolicy({
  name: 'media-default',
  dryRun: false,
  rules: [
    { resource: 'media', maxAgeSeconds: 30 * 86_400 },
    // Kept longer than the rest: an old object there survives.
    { resource: 'media', maxAgeSeconds: 365 * 86_400, conversationIds: ['c-long'] },
    // Kept only an hour: even a young object there goes.
    // Two conversations, so a page (batchSize 3) ends in one and the next resumes in the other.
    { resource: 'media', maxAgeSeconds: 3600, conversationIds: ['c-short2', 'not/a-layout-id', 'c-short'] },
  ],
});

function options(t: string) {
  const holds = new LegalHoldStore(mongo, t);
  return {
    tenant: t,
    targets: { media: new S3MediaPurgeTarget({ s3, mongo, tenant: t, statConcurrency: 4 }) },
    holds: () => holds.active(),
    now: new Date(cutoff.getTime() + 30 * DAY),
    batchSize: 3,
    pauseMs: 1,
  };
}

beforeAll(async () => {
  mongo = await new MongoClient(MONGO_URL).connect();
  for (const t of [tenant, other]) await s3.makeBucket(s3BucketName(t));
  // Old: uploaded before the cut-off.
  for (const name of OLD_FREE) await put(tenant, name, 'u1');
  await put(tenant, key('c-free', 'by-bob'), 'bob'); // a person hold on bob keeps it
  await put(tenant, key('c-case', 'h1'), 'u1'); // a conversation hold on c-case keeps it
  await put(tenant, key('c-long', 'l1'), 'u1'); // its rule keeps a year
  await put(tenant, key('c-free', 'no-uploader')); // outside the layout: never purged
  await put(tenant, 'exports/old-archive.zip', 'u1'); // outside the layout: never purged
  await put(other, OLD_FREE[0] as string, 'u1'); // another tenant's bucket, same key
  // What the media service keeps beside two of them: a thumbnail, a record, the tenant's usage.
  await put(tenant, mediaDerivedObjectKey({ conversationId: 'c-free', mediaId: 'm0' }, 'thumbnail'), 'u1');
  await put(tenant, mediaDerivedObjectKey({ conversationId: 'c-case', mediaId: 'h1' }, 'thumbnail'), 'u1');
  await mongo
    .db(mongoDatabaseName(tenant))
    .collection<{ _id: string; conversationId: string; state: string; size: number }>(
      MEDIA_RECORDS_COLLECTION,
    )
    .insertMany([
      { _id: 'm0', conversationId: 'c-free', state: 'ready', size: 10 },
      { _id: 'm1', conversationId: 'c-free', state: 'uploading', size: 5 },
      { _id: 'h1', conversationId: 'c-case', state: 'ready', size: 7 },
      // The same media id under another conversation is not the record of c-free/m2.
      { _id: 'm2', conversationId: 'c-elsewhere', state: 'ready', size: 3 },
    ]);
  await mongo
    .db(mongoDatabaseName(tenant))
    .collection<{ _id: string; bytes: number }>(MEDIA_USAGE_COLLECTION)
    .insertOne({ _id: MEDIA_USAGE_ID, bytes: 100 });
  // S3 LastModified has one-second resolution in a HEAD: leave clear air either side of T.
  await sleep(1_500);
  cutoff = new Date();
  await sleep(1_500);
  // Young: uploaded after the cut-off.
  await put(tenant, key('c-free', 'young'), 'u1');
  await put(tenant, key('c-short', 's1'), 'u1');
  for (const id of ['s2a', 's2b', 's2c']) await put(tenant, key('c-short2', id), 'u1');
  const holds = new LegalHoldStore(mongo, tenant);
  await holds.place({ scope: { kind: 'person', userId: 'bob' }, reason: 'Case 7', setBy: 'counsel' });
  await holds.place({
    scope: { kind: 'conversation', conversationId: 'c-case' },
    reason: 'Case 8',
    setBy: 'counsel',
  });
}, 60_000);

afterAll(async () => {
  for (const t of [tenant, other]) await removeBucket(t);
  for (const t of [tenant, other, bucketless]) await mongo.db(mongoDatabaseName(t)).dropDatabase();
  await mongo.close();
}, 60_000);

const kept = [
  'conversations/c-case/h1',
  'conversations/c-case/h1.thumbnail',
  'conversations/c-free/by-bob',
  'conversations/c-free/no-uploader',
  'conversations/c-free/young',
  'conversations/c-long/l1',
  'exports/old-archive.zip',
].sort();
const purged = [
  ...OLD_FREE,
  'conversations/c-short/s1',
  'conversations/c-short2/s2a',
  'conversations/c-short2/s2b',
  'conversations/c-short2/s2c',
].sort();

describe('media retention on S3', { timeout: 120_000 }, () => {
  it('the dry run counts what would go and what holds keep, and deletes nothing', async () => {
    const before = await keys(tenant);
    const run = await planPurge(policy, { ...options(tenant), sampleSize: 100 });
    expect(run.status).toBe('succeeded');
    expect(run.dryRun).toBe(true);
    expect(run.counts.media).toEqual({ examined: 13, deleted: 0, skippedHeld: 2, wouldDelete: 11 });
    expect(run.sample.media?.sort()).toEqual(purged);
    expect(run.unsupportedResources).toEqual([]);
    expect(await keys(tenant)).toEqual(before);
  });

  it('purges old objects in batches, keeps young, held and out-of-layout ones, honours selectors', async () => {
    const run = await runPurge(policy, options(tenant));
    expect(run.errors).toEqual([]);
    expect(run.status).toBe('succeeded');
    expect(run.counts.media).toEqual({ examined: 13, deleted: 11, skippedHeld: 2, wouldDelete: 0 });
    expect(run.holdsApplied).toHaveLength(2);
    expect(await keys(tenant)).toEqual(kept);
    // Another tenant's bucket, holding the same key, is untouched.
    expect(await keys(other)).toEqual([OLD_FREE[0]]);
    // The records of purged objects went (m0's thumbnail with its object, above), the held one
    // stayed, and the usage gave back the ready file's bytes (an upload never finished counted none).
    const db = mongo.db(mongoDatabaseName(tenant));
    const records = await db.collection<{ _id: string }>(MEDIA_RECORDS_COLLECTION).find().toArray();
    expect(records.map((r) => r._id).sort()).toEqual(['h1', 'm2']);
    const usage = await db
      .collection<{ _id: string; bytes: number }>(MEDIA_USAGE_COLLECTION)
      .findOne({ _id: MEDIA_USAGE_ID });
    expect(usage?.bytes).toBe(90);
  });

  it('is idempotent: a second run deletes nothing more and still counts the held objects', async () => {
    const run = await runPurge(policy, options(tenant));
    expect(run.counts.media).toEqual({ examined: 2, deleted: 0, skippedHeld: 2, wouldDelete: 0 });
    expect(await keys(tenant)).toEqual(kept);
  });

  it('a lifted hold lets its objects go at the next run', async () => {
    const holds = new LegalHoldStore(mongo, tenant);
    const bob = (await holds.list()).find((h) => h.scope.kind === 'person');
    if (!bob) throw new Error('hold on bob not found');
    await holds.lift(bob.id, { liftedBy: 'counsel', reason: 'case closed' });
    const run = await runPurge(policy, options(tenant));
    expect(run.counts.media).toMatchObject({ deleted: 1, skippedHeld: 1 });
    expect(await keys(tenant)).toEqual(kept.filter((k) => k !== 'conversations/c-free/by-bob'));
  });

  it('a tenant-wide hold keeps every object, however old', async () => {
    const holds = new LegalHoldStore(mongo, tenant);
    const hold = await holds.place({ scope: { kind: 'tenant' }, reason: 'Case 9', setBy: 'counsel' });
    const before = await keys(tenant);
    // 400 days on, every object of the layout is past its rule (c-long's year included).
    const run = await runPurge(policy, { ...options(tenant), now: new Date(cutoff.getTime() + 400 * DAY) });
    expect(run.counts.media).toEqual({ examined: 3, deleted: 0, skippedHeld: 3, wouldDelete: 0 });
    expect(run.holdsApplied).toContain(hold.id); // with the c-case hold, still active
    expect(await keys(tenant)).toEqual(before);
  });

  it('a tenant without a bucket has no media to purge', async () => {
    const run = await runPurge(policy, options(bucketless));
    expect(run.status).toBe('succeeded');
    expect(run.counts.media).toEqual({ examined: 0, deleted: 0, skippedHeld: 0, wouldDelete: 0 });
  });
});
