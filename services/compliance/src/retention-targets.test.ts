/**
 * The on-demand retention run (POST /v1/tenants/:t/retention/runs) reaches every resource a
 * policy can name, through the same purge targets as the operator's scheduled runs: the tenant's
 * messages in its database and its media objects in its S3 bucket (real FerretDB and MinIO),
 * with legal holds honoured.
 */
import { MEDIA_KEY_ROOT, mediaObjectKey, mediaObjectMetadata } from '@parley/contracts';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComplianceFixture, openComplianceFixture } from './testing/compliance-fixture.ts';

let f: ComplianceFixture;
const buckets: string[] = [];

beforeAll(async () => {
  f = await openComplianceFixture();
}, 60_000);

afterAll(async () => {
  for (const bucket of buckets) {
    const names: string[] = [];
    for await (const item of f.s3.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
    await f.s3.removeObjects(bucket, names);
    await f.s3.removeBucket(bucket);
  }
  await f?.close();
});

describe('compliance service: on-demand retention over messages and media', () => {
  it('purges expired messages, keeps young and held ones, and reads the tenant bucket for media', async () => {
    const tenant = await f.tenant();
    const bucket = s3BucketName(tenant); // made by the fixture, as the operator provisions it
    buckets.push(bucket);
    const body = Buffer.from('a picture');
    await f.s3.putObject(
      bucket,
      mediaObjectKey({ conversationId: 'c-1', mediaId: 'm-1' }),
      body,
      body.length,
      mediaObjectMetadata('u-ana'),
    );
    const messages = f.client.db(mongoDatabaseName(tenant)).collection('messages');
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    await messages.insertMany([
      { _id: 'old-1' as never, conversationId: 'c-1', senderId: 'u-ana', createdAt: daysAgo(3) },
      { _id: 'old-held' as never, conversationId: 'c-held', senderId: 'u-ana', createdAt: daysAgo(3) },
      { _id: 'young' as never, conversationId: 'c-1', senderId: 'u-ana', createdAt: new Date() },
    ]);
    const hold = await f.call('POST', `/v1/tenants/${tenant}/legal-holds`, {
      scope: { kind: 'conversation', conversationId: 'c-held' },
      reason: 'Litigation 2026-CV-201',
      setBy: 'counsel@acme',
    });
    expect(hold.status).toBe(201);
    const put = await f.call('PUT', `/v1/tenants/${tenant}/retention/policies/default`, {
      rules: [
        { resource: 'messages', maxAgeSeconds: 86_400 },
        { resource: 'media', maxAgeSeconds: 86_400 },
      ],
    });
    expect(put.status).toBe(200);

    const plan = await f.call('POST', `/v1/tenants/${tenant}/retention/runs`, {
      policy: 'default',
      dryRun: true,
    });
    expect(plan.body).toMatchObject({ dryRun: true, status: 'succeeded', unsupportedResources: [] });
    expect(plan.body.counts.messages).toMatchObject({ wouldDelete: 1, skippedHeld: 1 });
    expect(await messages.countDocuments()).toBe(3);

    const run = await f.call('POST', `/v1/tenants/${tenant}/retention/runs`, { policy: 'default' });
    expect(run.body).toMatchObject({ dryRun: false, status: 'succeeded', unsupportedResources: [] });
    expect(run.body.counts.messages).toMatchObject({ deleted: 1, skippedHeld: 1 });
    // The one media object is a minute old: looked at, and kept.
    expect(run.body.counts.media).toMatchObject({ deleted: 0 });
    expect((await messages.find().toArray()).map((m) => m._id).sort()).toEqual(['old-held', 'young']);
    const kept: string[] = [];
    // Media only: the bucket also holds the audit log's published checkpoints (audit/).
    for await (const item of f.s3.listObjectsV2(bucket, MEDIA_KEY_ROOT, true))
      if (item.name) kept.push(item.name);
    expect(kept).toEqual([mediaObjectKey({ conversationId: 'c-1', mediaId: 'm-1' })]);
  });
});
