/**
 * Retention's media purge against files the real media service stored (real MinIO, Mongo-wire,
 * Redis; the real messaging service on a port deciding membership), with the purge target the
 * compliance service and the operator both build: an expired file goes whole (object, derived
 * objects, record, its bytes in the tenant's usage), so media answers 404 for it rather than
 * serving a record whose object is gone; the attack: files in a conversation under legal hold,
 * and files of a person under hold, survive the purge and are still served; a lifted hold lets
 * them go at the next run. S3 sets LastModified itself, so "old" files are those uploaded before
 * a cut-off instant, and the run's clock is the cut-off plus the rule's age.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mediaDerivedObjectKey, mediaObjectKey } from '@parley/contracts';
import { type MediaFixture, openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import {
  SERVICE_TOKEN as MESSAGING_TOKEN,
  type MessagingFixture,
  openMessagingFixture,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { LegalHoldStore, parseRetentionPolicy, runPurge, S3MediaPurgeTarget } from '@parley/retention';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let messaging: MessagingFixture;
let media: MediaFixture;
let tenant: string;
let openConversation: string;
let heldConversation: string;
let cutoff: Date;
const HOUR_S = 3600;

const files: Record<'old' | 'oldHeld' | 'oldBob' | 'young', { mediaId: string; bytes: Buffer }> = {} as never;

/** A PNG signature and header (what file-type reads), then random bytes: `size` bytes in all. */
function png(size: number): Buffer {
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
    'hex',
  );
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

async function upload(userId: string, conversationId: string, size: number) {
  const bytes = png(size);
  const answer = await media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/conversations/${conversationId}/media?name=f.png`,
    headers: { ...media.as(userId), 'content-type': 'image/png' },
    payload: bytes,
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return { mediaId: answer.json().mediaId as string, bytes };
}

const download = (mediaId: string) =>
  media.app.inject({ url: `/v1/tenants/${tenant}/media/${mediaId}/content`, headers: media.as('alice') });

const recordOf = (mediaId: string) =>
  media.mongo.client
    .db(mongoDatabaseName(tenant))
    .collection('media')
    .findOne({ _id: mediaId as never });

async function keys(): Promise<string[]> {
  const names: string[] = [];
  for await (const item of media.s3.listObjectsV2(s3BucketName(tenant), '', true))
    if (item.name) names.push(item.name);
  return names.sort();
}

const policy = parseRetentionPolicy({
  name: 'media-hour',
  dryRun: false,
  rules: [{ resource: 'media', maxAgeSeconds: HOUR_S }],
});

function purge() {
  const holds = new LegalHoldStore(media.mongo.client, tenant);
  return runPurge(policy, {
    tenant,
    // As services/compliance (retention-runner.ts) and the operator build it.
    targets: { media: new S3MediaPurgeTarget({ s3: media.s3, mongo: media.mongo.client, tenant }) },
    holds: () => holds.active(),
    now: new Date(cutoff.getTime() + HOUR_S * 1000),
    batchSize: 2,
    pauseMs: 1,
  });
}

beforeAll(async () => {
  messaging = await openMessagingFixture();
  tenant = messaging.tenant;
  const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
  media = await openMediaFixture({
    keyring: messaging.keyring,
    messagingUrl,
    messagingToken: MESSAGING_TOKEN,
  });
  await media.addTenant(tenant);
  for (const name of ['Open', 'Case 12']) {
    const created = await messaging.call('alice', 'POST', '/conversations', {
      kind: 'group',
      name,
      memberIds: ['bob'],
    });
    expect(created.statusCode).toBe(201);
    if (name === 'Open') openConversation = created.json().id;
    else heldConversation = created.json().id;
  }
  files.old = await upload('alice', openConversation, 4000);
  files.oldHeld = await upload('alice', heldConversation, 5000);
  files.oldBob = await upload('bob', openConversation, 6000);
  // A thumbnail beside the expired file, as media's thumbnail worker writes one.
  const thumb = Buffer.from('derived');
  await media.s3.putObject(
    s3BucketName(tenant),
    mediaDerivedObjectKey({ conversationId: openConversation, mediaId: files.old.mediaId }, 'thumbnail'),
    thumb,
    thumb.length,
  );
  // S3 LastModified has one-second resolution: clear air either side of the cut-off.
  await sleep(1_500);
  cutoff = new Date();
  await sleep(1_500);
  files.young = await upload('alice', openConversation, 7000);
  const holds = new LegalHoldStore(media.mongo.client, tenant);
  await holds.place({
    scope: { kind: 'conversation', conversationId: heldConversation },
    reason: 'Case 12',
    setBy: 'counsel',
  });
  await holds.place({ scope: { kind: 'person', userId: 'bob' }, reason: 'Case 13', setBy: 'counsel' });
}, 120_000);

afterAll(async () => {
  await media?.close();
  await messaging?.close();
});

describe('retention purges media whole and never what a hold keeps', { timeout: 120_000 }, () => {
  it('removes an expired file’s object, thumbnail and record, gives back its bytes, and media answers 404', async () => {
    const usedBefore = await media.components.records.usedBytes(tenant);
    expect(usedBefore).toBe(4000 + 5000 + 6000 + 7000);
    const run = await purge();
    expect(run.errors).toEqual([]);
    expect(run.counts.media).toEqual({ examined: 3, deleted: 1, skippedHeld: 2, wouldDelete: 0 });

    expect(await recordOf(files.old.mediaId)).toBeNull();
    const gone = await download(files.old.mediaId);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().type).toContain('media-not-found');
    const meta = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${files.old.mediaId}`,
      headers: media.as('alice'),
    });
    expect(meta.statusCode).toBe(404);
    expect(await media.components.records.usedBytes(tenant)).toBe(usedBefore - 4000);
    expect(await keys()).toEqual(
      [
        mediaObjectKey({ conversationId: heldConversation, mediaId: files.oldHeld.mediaId }),
        mediaObjectKey({ conversationId: openConversation, mediaId: files.oldBob.mediaId }),
        mediaObjectKey({ conversationId: openConversation, mediaId: files.young.mediaId }),
      ].sort(),
    );
  });

  it('the attack: a held conversation’s file and a held person’s file survive, record and bytes, still served', async () => {
    // Purging again (a scheduled run and an on-demand one) changes nothing for them either.
    const again = await purge();
    expect(again.counts.media).toEqual({ examined: 2, deleted: 0, skippedHeld: 2, wouldDelete: 0 });
    for (const file of [files.oldHeld, files.oldBob, files.young]) {
      expect(await recordOf(file.mediaId)).toMatchObject({ state: 'ready' });
      const served = await download(file.mediaId);
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.equals(file.bytes)).toBe(true);
    }
  });

  it('a lifted hold lets its file go, whole, at the next run', async () => {
    const holds = new LegalHoldStore(media.mongo.client, tenant);
    const conversationHold = (await holds.list()).find((h) => h.scope.kind === 'conversation');
    if (!conversationHold) throw new Error('the conversation hold is missing');
    await holds.lift(conversationHold.id, { liftedBy: 'counsel', reason: 'case closed' });
    const usedBefore = await media.components.records.usedBytes(tenant);
    const run = await purge();
    expect(run.counts.media).toEqual({ examined: 2, deleted: 1, skippedHeld: 1, wouldDelete: 0 });
    expect(await recordOf(files.oldHeld.mediaId)).toBeNull();
    expect((await download(files.oldHeld.mediaId)).statusCode).toBe(404);
    expect(await media.components.records.usedBytes(tenant)).toBe(usedBefore - 5000);
    // Bob's hold still stands.
    expect((await download(files.oldBob.mediaId)).statusCode).toBe(200);
  });
});
