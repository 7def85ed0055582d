/**
 * The media service over the real stack (MinIO, Mongo-wire, Redis) with the real messaging
 * service deciding membership (listening on a port of its own, called through
 * @parley/messaging-client): upload and download by a member, refusal for a non-member and for
 * another tenant (the attack performed), ciphertext at rest (read back with the S3 client),
 * oversize, wrong and lying types refused with problem details, an upload cut off half-way
 * leaving nothing, ranges, deletion.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { mediaObjectKey, readMediaUploader } from '@parley/contracts';
import { checkDocumentedSecurity, checkOpenApiCoverage, createSilentLogger } from '@parley/kit/testing';
import { MediaClient } from '@parley/media-client';
import {
  MEDIA_TEST_TOKEN,
  type MediaFixture,
  openMediaFixture,
} from '@parley/media-service/src/testing/media-fixture.ts';
import { abandonedUploadsSweeper } from '@parley/media-service/src/workers/abandoned-uploads.ts';
import {
  SERVICE_TOKEN as MESSAGING_TOKEN,
  type MessagingFixture,
  openMessagingFixture,
  uniqueTenant,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { ServiceProblemError } from '@parley/service-http';
import { mongoDatabaseName, s3BucketName, tenantRuntimeKey, writeTenantRuntimeRecord } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let messaging: MessagingFixture;
let media: MediaFixture;
let tenant: string;
let otherTenant: string;
let conversationId: string;
let mediaUrl: string;
const MIB = 1024 * 1024;

/** A PNG signature, IHDR and the start of an IDAT (what file-type reads), then `size` bytes in all. */
function png(size: number): Buffer {
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
    'hex',
  );
  return Buffer.concat([head, randomBytes(size - head.length)]);
}
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function objectsOf(bucket: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of media.s3.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
  return names;
}

async function incompleteUploadsOf(bucket: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const upload of media.s3.listIncompleteUploads(bucket, '', true)) keys.push(upload.key);
  return keys;
}

const mediaCount = (t: string) =>
  media.mongo.client.db(mongoDatabaseName(t)).collection('media').countDocuments({});

function upload(
  userId: string,
  body: Buffer,
  options: { type?: string; conversation?: string; name?: string } = {},
) {
  return media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/conversations/${options.conversation ?? conversationId}/media${options.name ? `?name=${encodeURIComponent(options.name)}` : ''}`,
    headers: { ...media.as(userId), 'content-type': options.type ?? 'application/octet-stream' },
    payload: body,
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
    // Small parts, so a few MiB already take the multipart path.
    settings: { MEDIA_PART_BYTES: String(5 * MIB), MEDIA_MAX_FILE_BYTES: String(20 * MIB) },
  });
  await media.addTenant(tenant);
  mediaUrl = await media.app.listen({ host: '127.0.0.1', port: 0 });
  otherTenant = uniqueTenant('mo');
  await writeTenantRuntimeRecord(media.redis.client, otherTenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 10, storageGiB: 1, messagesPerSecond: 10 },
    generation: 1,
  });
  await media.addTenant(otherTenant);
  const created = await messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'Files',
    memberIds: ['bob'],
  });
  expect(created.statusCode).toBe(201);
  conversationId = created.json().id;
}, 120_000);

afterAll(async () => {
  await media?.redis.client.del(tenantRuntimeKey(otherTenant));
  await media?.close();
  await messaging?.close();
});

describe('upload and download', () => {
  it('stores a member’s file encrypted and gives it back whole, with its checksum, to another member', async () => {
    const bytes = png(300_000);
    const answer = await upload('alice', bytes, { type: 'image/png', name: 'holiday.png' });
    expect(answer.statusCode).toBe(201);
    const view = answer.json();
    expect(view).toMatchObject({
      conversationId,
      uploaderId: 'alice',
      fileName: 'holiday.png',
      size: bytes.length,
      contentType: 'image/png',
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });

    const download = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${view.mediaId}/content`,
      headers: media.as('bob'),
    });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('image/png');
    expect(download.rawPayload.equals(bytes)).toBe(true);

    // At rest: the object in the tenant's bucket, laid out as the contract says, is not the file.
    const key = mediaObjectKey({ conversationId, mediaId: view.mediaId });
    const stored = await readAll(await media.s3.getObject(s3BucketName(tenant), key));
    expect(stored.subarray(0, 4).toString('latin1')).toBe('PMO1');
    expect(stored.includes(bytes.subarray(100, 164))).toBe(false);
    expect(stored.includes(bytes.subarray(0, 16))).toBe(false);
    const stat = await media.s3.statObject(s3BucketName(tenant), key);
    expect(readMediaUploader(stat.metaData)).toBe('alice');
  });

  it('streams a file larger than one S3 part (multipart) and serves ranges across frames', async () => {
    const bytes = png(11 * MIB + 12345);
    const answer = await upload('bob', bytes, { type: 'image/png' });
    expect(answer.statusCode).toBe(201);
    const { mediaId } = answer.json();
    const whole = await fetch(`${mediaUrl}/v1/tenants/${tenant}/media/${mediaId}/content`, {
      headers: media.as('alice'),
    });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    for (const [start, end] of [
      [0, 0],
      [70_000, 140_000],
      [65_535, 65_536],
      [bytes.length - 10, bytes.length - 1],
    ] as const) {
      const part = await media.app.inject({
        url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
        headers: { ...media.as('alice'), range: `bytes=${start}-${end}` },
      });
      expect(part.statusCode).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(part.rawPayload.equals(bytes.subarray(start, end + 1))).toBe(true);
    }
    const suffix = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
      headers: { ...media.as('alice'), range: 'bytes=-100' },
    });
    expect(suffix.rawPayload.equals(bytes.subarray(bytes.length - 100))).toBe(true);
    const beyond = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
      headers: { ...media.as('alice'), range: `bytes=${bytes.length}-` },
    });
    expect(beyond.statusCode).toBe(416);
  }, 120_000);
});

describe('who may read', () => {
  let mediaId: string;
  beforeAll(async () => {
    mediaId = (await upload('alice', png(5000), { type: 'image/png' })).json().mediaId;
  });

  it('refuses a non-member: no upload into the conversation, no metadata, no bytes (404 as for no id)', async () => {
    const put = await upload('mallory', png(5000));
    expect(put.statusCode).toBe(404);
    expect(put.headers['content-type']).toContain('application/problem+json');
    for (const path of [`/media/${mediaId}`, `/media/${mediaId}/content`]) {
      const read = await media.app.inject({
        url: `/v1/tenants/${tenant}${path}`,
        headers: media.as('mallory'),
      });
      expect(read.statusCode).toBe(404);
      expect(read.json().type).toBe('https://parley.dev/problems/media-not-found');
    }
    const del = await media.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${tenant}/media/${mediaId}`,
      headers: media.as('mallory', ['member', 'admin']),
    });
    expect(del.statusCode).toBe(404);
  });

  it('refuses a removed member at once', async () => {
    const removed = await messaging.call('alice', 'DELETE', `/conversations/${conversationId}/members/bob`);
    expect(removed.statusCode).toBeLessThan(300);
    try {
      const read = await media.app.inject({
        url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
        headers: media.as('bob'),
      });
      expect(read.statusCode).toBe(404);
    } finally {
      const back = await messaging.call('alice', 'POST', `/conversations/${conversationId}/members`, {
        userId: 'bob',
      });
      expect(back.statusCode).toBeLessThan(300);
    }
  });

  it('refuses another tenant: its user asking for this tenant’s id, even named "alice"', async () => {
    // The attack: the same media id (and the same user name) through the other tenant's path,
    // where the gateway would put an attacker's own tenant from their token.
    for (const path of [`/media/${mediaId}`, `/media/${mediaId}/content`]) {
      const read = await media.app.inject({
        url: `/v1/tenants/${otherTenant}${path}`,
        headers: media.as('alice'),
      });
      expect(read.statusCode).toBe(404);
      expect(read.headers['content-type']).toContain('application/problem+json');
    }
    // And an upload into this tenant's conversation id from the other tenant lands nowhere.
    const put = await media.app.inject({
      method: 'POST',
      url: `/v1/tenants/${otherTenant}/conversations/${conversationId}/media`,
      headers: { ...media.as('alice'), 'content-type': 'image/png' },
      payload: png(5000),
    });
    expect(put.statusCode).toBe(404);
    expect(await objectsOf(s3BucketName(otherTenant))).toEqual([]);
  });
});

describe('bad input answers problem details and stores nothing', () => {
  const expectNothingNew = async (before: { objects: number; records: number }) => {
    expect((await objectsOf(s3BucketName(tenant))).length).toBe(before.objects);
    expect(await mediaCount(tenant)).toBe(before.records);
    expect(await incompleteUploadsOf(s3BucketName(tenant))).toEqual([]);
  };
  const snapshot = async () => ({
    objects: (await objectsOf(s3BucketName(tenant))).length,
    records: await mediaCount(tenant),
  });

  it('refuses a file over the plan’s limit, declared or streamed', async () => {
    const before = await snapshot();
    await writeTenantRuntimeRecord(media.redis.client, tenant, {
      status: 'Ready',
      plan: 'free', // 10 MiB per file
      quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
      generation: 2,
    });
    try {
      const declared = await upload('alice', png(10 * MIB + 1), { type: 'image/png' });
      expect(declared.statusCode).toBe(413);
      expect(declared.json()).toMatchObject({
        type: 'https://parley.dev/problems/media-too-large',
        limitBytes: 10 * MIB,
      });
      // No length declared (chunked): refused when the stream passes the limit.
      const bytes = png(10 * MIB + 70_000);
      const streamed = await fetch(`${mediaUrl}/v1/tenants/${tenant}/conversations/${conversationId}/media`, {
        method: 'POST',
        headers: { ...media.as('alice'), 'content-type': 'image/png' },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 256 * 1024)
              controller.enqueue(bytes.subarray(i, i + 256 * 1024));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(((await streamed.json()) as { type: string }).type).toBe(
        'https://parley.dev/problems/media-too-large',
      );
      await expectNothingNew(before);
    } finally {
      await writeTenantRuntimeRecord(media.redis.client, tenant, {
        status: 'Ready',
        plan: 'team',
        quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
        generation: 3,
      });
    }
  }, 120_000);

  it('refuses a type off the allow-list, an unrecognisable one, and a type that lies about its bytes', async () => {
    const before = await snapshot();
    const text = await upload('alice', Buffer.from('just some words, no magic number at all'.repeat(100)), {
      type: 'text/plain',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().type).toBe('https://parley.dev/problems/unsupported-media-type');
    const elf = Buffer.concat([Buffer.from('7f454c46020101000000000000000000', 'hex'), randomBytes(5000)]);
    const binary = await upload('alice', elf);
    expect(binary.statusCode).toBe(415);
    expect(binary.json().type).toBe('https://parley.dev/problems/unsupported-media-type');
    // Declared an image, the bytes are a PDF (an allowed type, so only the lie is refused).
    const lying = await upload('alice', pdf(20_000), { type: 'image/png' });
    expect(lying.statusCode).toBe(415);
    expect(lying.json().type).toBe('https://parley.dev/problems/media-type-mismatch');
    const empty = await upload('alice', Buffer.alloc(0), { type: 'image/png' });
    expect(empty.statusCode).toBe(400);
    await expectNothingNew(before);
  });

  it('leaves no object, no part and no metadata when the upload is cut off half-way', async () => {
    const before = await snapshot();
    const total = 12 * MIB;
    const bytes = png(total);
    const socket = connect(Number(new URL(mediaUrl).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const headers = media.as('alice');
    socket.write(
      [
        `POST /v1/tenants/${tenant}/conversations/${conversationId}/media HTTP/1.1`,
        'host: 127.0.0.1',
        'content-type: image/png',
        `content-length: ${total}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        '',
        '',
      ].join('\r\n'),
    );
    // More than one S3 part (5 MiB here), so the multipart upload has begun when the client goes.
    for (let sent = 0; sent < 7 * MIB; sent += 256 * 1024) {
      if (!socket.write(bytes.subarray(sent, sent + 256 * 1024)))
        await new Promise<void>((resolve) => socket.once('drain', resolve));
    }
    await sleep(1500);
    socket.destroy();
    // The service notices the cut, aborts the multipart upload and removes the record.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await snapshot();
      const parts = await incompleteUploadsOf(s3BucketName(tenant));
      if ((now.records === before.records && parts.length === 0) || Date.now() > deadline) break;
      await sleep(250);
    }
    await expectNothingNew(before);
  }, 120_000);
});

describe('deletion', () => {
  it('lets the uploader (not another member) delete: the object and the record go', async () => {
    const { mediaId } = (await upload('alice', png(2000), { type: 'image/png' })).json();
    const key = mediaObjectKey({ conversationId, mediaId });
    const byBob = await media.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${tenant}/media/${mediaId}`,
      headers: media.as('bob'),
    });
    expect(byBob.statusCode).toBe(403);
    const byAlice = await media.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${tenant}/media/${mediaId}`,
      headers: media.as('alice'),
    });
    expect(byAlice.statusCode).toBe(204);
    await expect(media.s3.statObject(s3BucketName(tenant), key)).rejects.toMatchObject({ code: 'NotFound' });
    const gone = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${mediaId}`,
      headers: media.as('alice'),
    });
    expect(gone.statusCode).toBe(404);
  });
});

describe('@parley/media-client', () => {
  it('uploads a stream, describes, downloads whole and by range, refuses a non-member with the problem, deletes', async () => {
    const client = new MediaClient({ baseUrl: mediaUrl, serviceToken: MEDIA_TEST_TOKEN });
    const alice = client.as({ tenant, userId: 'alice', roles: ['member'] });
    const bytes = png(200_000);
    const created = await alice.upload(
      conversationId,
      Readable.from([bytes.subarray(0, 5000), bytes.subarray(5000)]),
      {
        contentType: 'image/png',
        name: 'scan.png',
      },
    );
    expect(created).toMatchObject({ size: bytes.length, contentType: 'image/png', fileName: 'scan.png' });
    expect(await client.as({ tenant, userId: 'bob', roles: ['member'] }).describe(created.mediaId)).toEqual(
      created,
    );
    const whole = await alice.download(created.mediaId);
    expect(whole.status).toBe(200);
    expect(whole.headers['content-length']).toBe(String(bytes.length));
    expect(Buffer.from(await new Response(whole.body).arrayBuffer()).equals(bytes)).toBe(true);
    const part = await alice.download(created.mediaId, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(Buffer.from(await new Response(part.body).arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(
      true,
    );
    const mallory = client.as({ tenant, userId: 'mallory', roles: ['member'] });
    const refused = await mallory.download(created.mediaId).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServiceProblemError);
    expect((refused as ServiceProblemError).code).toBe('media-not-found');
    const lying = await alice
      .upload(conversationId, Readable.from([pdf(10_000)]), { contentType: 'image/gif' })
      .catch((error: unknown) => error);
    expect((lying as ServiceProblemError).status).toBe(415);
    await alice.delete(created.mediaId);
    await expect(alice.describe(created.mediaId)).rejects.toMatchObject({ status: 404 });
  });
});

describe('the storage quota', () => {
  it('refuses an upload that would pass the tenant’s total storage, and counts a delete back', async () => {
    const usage = media.mongo.client
      .db(mongoDatabaseName(tenant))
      .collection<{ _id: string; bytes: number }>('media_usage');
    const used = (await usage.findOne({ _id: 'storage' }))?.bytes ?? 0;
    expect(used).toBeGreaterThan(0);
    // A quota of 1 GiB, nearly all used: 600 KB left.
    await usage.updateOne({ _id: 'storage' }, { $set: { bytes: 1024 ** 3 - 600_000 } });
    await writeTenantRuntimeRecord(media.redis.client, tenant, {
      status: 'Ready',
      plan: 'team',
      quotas: { users: 500, storageGiB: 1, messagesPerSecond: 50 },
      generation: 4,
    });
    try {
      const over = await upload('alice', png(700_000), { type: 'image/png' });
      expect(over.statusCode).toBe(413);
      expect(over.json().type).toBe('https://parley.dev/problems/storage-quota-exceeded');
      const fits = await upload('alice', png(500_000), { type: 'image/png' });
      expect(fits.statusCode).toBe(201);
      expect((await usage.findOne({ _id: 'storage' }))?.bytes).toBe(1024 ** 3 - 100_000);
      const del = await media.app.inject({
        method: 'DELETE',
        url: `/v1/tenants/${tenant}/media/${fits.json().mediaId}`,
        headers: media.as('alice'),
      });
      expect(del.statusCode).toBe(204);
      expect((await usage.findOne({ _id: 'storage' }))?.bytes).toBe(1024 ** 3 - 600_000);
    } finally {
      await usage.updateOne({ _id: 'storage' }, { $set: { bytes: used } });
      await writeTenantRuntimeRecord(media.redis.client, tenant, {
        status: 'Ready',
        plan: 'team',
        quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
        generation: 5,
      });
    }
  });
});

describe('uploads a dead process left', () => {
  it('are removed by the sweeper: the record, the object and the parts of an incomplete multipart upload', async () => {
    const records = media.mongo.client.db(mongoDatabaseName(tenant)).collection('media');
    const bucket = s3BucketName(tenant);
    const old = new Date(Date.now() - 60_000);
    const base = {
      conversationId,
      uploaderId: 'alice',
      state: 'uploading',
      size: 0,
      contentType: 'image/png',
      sha256: '',
      keyName: 'default',
      keyVersion: 1,
      chunkSize: 65536,
      headerLength: 80,
      createdAt: old,
      updatedAt: old,
    };
    // One died after its object completed, one in the middle of its multipart upload, one is live.
    const completed = { ...base, _id: 'dead-completed' };
    const partial = { ...base, _id: 'dead-partial' };
    const live = { ...base, _id: 'live-upload', createdAt: new Date(), updatedAt: new Date() };
    await records.insertMany([completed, partial, live] as never[]);
    const metadata = { 'x-amz-meta-parley-uploader': 'alice' };
    await media.s3.putObject(
      bucket,
      mediaObjectKey({ conversationId, mediaId: completed._id }),
      Buffer.from('x'),
      1,
      metadata,
    );
    const partialKey = mediaObjectKey({ conversationId, mediaId: partial._id });
    const uploadId = await media.s3.initiateNewMultipartUpload(bucket, partialKey, metadata);
    await media.s3.uploadPart(
      { bucketName: bucket, objectName: partialKey, uploadID: uploadId, partNumber: 1, headers: {} },
      randomBytes(5 * MIB),
    );
    const sweeper = abandonedUploadsSweeper({
      s3: media.s3,
      records: media.components.records,
      tenants: async () => [tenant],
      olderThanMs: 30_000,
      intervalMs: 60_000,
      logger: createSilentLogger(),
    });
    try {
      expect(await sweeper.runNow()).toBe(2);
      expect(
        await records.countDocuments({ _id: { $in: ['dead-completed', 'dead-partial'] } } as never),
      ).toBe(0);
      expect(await records.countDocuments({ _id: 'live-upload' } as never)).toBe(1);
      const left = await objectsOf(bucket);
      expect(left.some((name) => name.includes('dead-'))).toBe(false);
      expect((await incompleteUploadsOf(bucket)).some((key) => key.includes('dead-'))).toBe(false);
    } finally {
      await records.deleteOne({ _id: 'live-upload' } as never);
    }
  }, 60_000);
});

describe('the media service OpenAPI document', () => {
  it('documents every route, each taking the service credential it enforces', async () => {
    const { findings, operations, document } = await checkOpenApiCoverage(media.app);
    expect(findings).toEqual([]);
    expect(operations).toBeGreaterThanOrEqual(4);
    await checkDocumentedSecurity(media.app, document);
  });
});
