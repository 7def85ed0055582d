// Files through the public gateway, as a client would send them: users signed in through auth,
// a conversation opened through messaging, uploads and downloads with the SDK (and raw HTTP where
// a client would cut a stream), the media service on a real port over MinIO and Mongo-wire, the
// membership asked of the real messaging service. A non-member and another tenant's user are
// refused (the attack performed with a real id); a file larger than the gateway's JSON body
// limit streams through; problems are handed on; an upload cut off at the gateway leaves nothing.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { mediaObjectKey } from '@parley/contracts';
import { freePort } from '@parley/kit/testing';
import { type MediaFixture, openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';

const MIB = 1024 * 1024;
let stack: GatewayStack;
let media: MediaFixture;
let alice: SignedIn;
let bob: SignedIn;
let carol: SignedIn;
let eve: SignedIn;
let conversationId: string;

function png(size: number): Buffer {
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
    'hex',
  );
  return Buffer.concat([head, randomBytes(size - head.length)]);
}
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The SDK's upload: the bytes as they are (no JSON), with the type the client declares. */
function upload(
  user: SignedIn,
  bytes: Buffer,
  options: { type?: string; name?: string; conversation?: string } = {},
) {
  return user.client.POST('/api/v1/conversations/{conversationId}/media', {
    params: {
      path: { conversationId: options.conversation ?? conversationId },
      query: options.name ? { name: options.name } : {},
    },
    body: bytes as unknown as string,
    bodySerializer: (body) => body as unknown as string,
    headers: { 'content-type': options.type ?? 'application/octet-stream' },
  });
}

async function download(user: SignedIn, mediaId: string, range?: string) {
  return fetch(`${stack.gateway.url}/api/v1/media/${mediaId}/content`, {
    headers: { authorization: `Bearer ${user.accessToken}`, ...(range ? { range } : {}) },
  });
}

const recordsOf = (tenant: string) =>
  media.mongo.client.db(mongoDatabaseName(tenant)).collection('media').countDocuments({});

async function objectsOf(bucket: string): Promise<string[]> {
  const names: string[] = [];
  // Media's layout only (compliance writes audit checkpoints into the same bucket meanwhile).
  for await (const item of media.s3.listObjectsV2(bucket, 'conversations/', true))
    if (item.name) names.push(item.name);
  for await (const upload of media.s3.listIncompleteUploads(bucket, 'conversations/', true))
    names.push(`part:${upload.key}`);
  return names;
}

beforeAll(async () => {
  const mediaPort = await freePort();
  stack = await openGatewayStack({ MEDIA_URL: `http://127.0.0.1:${mediaPort}` });
  media = await openMediaFixture({
    keyring: stack.messaging.keyring,
    messagingUrl: stack.messagingUrl,
    messagingToken: SERVICE_TOKEN,
    // The gateway presents one credential to every service (as in gateway-stack.ts).
    callerToken: SERVICE_TOKEN,
    settings: { MEDIA_PART_BYTES: String(5 * MIB), MEDIA_MAX_FILE_BYTES: String(16 * MIB) },
  });
  await media.app.listen({ host: '127.0.0.1', port: mediaPort });
  [alice, bob, carol, eve] = await Promise.all([
    stack.user(stack.tenantA),
    stack.user(stack.tenantA),
    stack.user(stack.tenantA),
    stack.user(stack.tenantB),
  ]);
  const opened = await alice.client.POST('/api/v1/conversations/direct', { body: { userId: bob.userId } });
  expect(opened.response.status).toBe(201);
  conversationId = opened.data?.id ?? '';
}, 180_000);

afterAll(async () => {
  await media?.close();
  await stack?.close();
}, 60_000);

describe('media through the gateway', () => {
  it('uploads a member’s file, encrypted at rest, and gives it to the other member whole and by range', async () => {
    const bytes = png(200_000);
    const sent = await upload(alice, bytes, { type: 'image/png', name: 'plan.png' });
    expect(sent.response.status).toBe(201);
    expect(sent.data).toMatchObject({
      conversationId,
      uploaderId: alice.userId,
      fileName: 'plan.png',
      size: bytes.length,
      contentType: 'image/png',
      sha256: sha256(bytes),
    });
    const mediaId = sent.data?.mediaId ?? '';

    const described = await bob.client.GET('/api/v1/media/{mediaId}', { params: { path: { mediaId } } });
    expect(described.data).toEqual(sent.data);

    const whole = await download(bob, mediaId);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('image/png');
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(whole.headers.get('content-disposition')).toContain('plan.png');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    const part = await download(bob, mediaId, 'bytes=1000-1999');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);

    const stored: Buffer[] = [];
    const key = mediaObjectKey({ conversationId, mediaId });
    for await (const chunk of await media.s3.getObject(s3BucketName(stack.tenantA), key)) stored.push(chunk);
    const atRest = Buffer.concat(stored);
    expect(atRest.subarray(0, 4).toString('latin1')).toBe('PMO1');
    expect(atRest.includes(bytes.subarray(5000, 5064))).toBe(false);
  }, 60_000);

  it('streams a file far above the gateway’s JSON body limit both ways', async () => {
    const bytes = png(12 * MIB + 123);
    const sent = await upload(alice, bytes, { type: 'image/png' });
    expect(sent.response.status, JSON.stringify(sent.error)).toBe(201);
    expect(sent.data?.sha256).toBe(sha256(bytes));
    const back = await download(bob, sent.data?.mediaId ?? '');
    expect(back.status).toBe(200);
    expect(sha256(Buffer.from(await back.arrayBuffer()))).toBe(sha256(bytes));
  }, 120_000);

  it('gives a member a signed link a browser follows without a token (ranges too); refuses forged, foreign and non-member links', async () => {
    const bytes = png(20_000);
    const sent = await upload(alice, bytes, { type: 'image/png' });
    const mediaId = sent.data?.mediaId ?? '';
    const made = await bob.client.POST('/api/v1/media/{mediaId}/links', { params: { path: { mediaId } } });
    expect(made.response.status).toBe(201);
    const url = made.data?.url ?? '';
    expect(url).toMatch(
      new RegExp(`^/api/v1/tenants/${stack.tenantA}/media/${mediaId}/linked-content\\?token=v1\\.`),
    );
    const whole = await fetch(`${stack.gateway.url}${url}`);
    expect(whole.status).toBe(200);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(bytes));
    const part = await fetch(`${stack.gateway.url}${url}`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);

    const token = made.data?.token ?? '';
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const refused = await fetch(
      `${stack.gateway.url}/api/v1/tenants/${stack.tenantA}/media/${mediaId}/linked-content?token=${encodeURIComponent(forged)}`,
    );
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { type: string }).type).toBe(
      'https://parley.dev/problems/download-link-invalid',
    );
    // The same link under the other tenant's path names nothing there.
    const foreign = await fetch(
      `${stack.gateway.url}/api/v1/tenants/${stack.tenantB}/media/${mediaId}/linked-content?token=${encodeURIComponent(token)}`,
    );
    expect(foreign.status).toBe(403);
    for (const outsider of [carol, eve]) {
      const theirs = await outsider.client.POST('/api/v1/media/{mediaId}/links', {
        params: { path: { mediaId } },
      });
      expect(theirs.response.status).toBe(404);
    }
  }, 60_000);

  it('refuses a non-member and another tenant’s user with the same 404, and a caller without a token with 401', async () => {
    const sent = await upload(alice, png(10_000), { type: 'image/png' });
    const mediaId = sent.data?.mediaId ?? '';
    for (const outsider of [carol, eve]) {
      const described = await outsider.client.GET('/api/v1/media/{mediaId}', {
        params: { path: { mediaId } },
      });
      expect(described.response.status).toBe(404);
      expect(described.error?.type).toBe('https://parley.dev/problems/media-not-found');
      expect((await download(outsider, mediaId)).status).toBe(404);
      const deleted = await outsider.client.DELETE('/api/v1/media/{mediaId}', {
        params: { path: { mediaId } },
      });
      expect(deleted.response.status).toBe(404);
      const into = await upload(outsider, png(10_000), { type: 'image/png' });
      expect(into.response.status).toBe(404);
      expect(into.error?.type).toBe('https://parley.dev/problems/conversation-not-found');
    }
    const anonymous = await stack.anonymous.GET('/api/v1/media/{mediaId}', { params: { path: { mediaId } } });
    expect(anonymous.response.status).toBe(401);
    expect((await fetch(`${stack.gateway.url}/api/v1/media/${mediaId}/content`)).status).toBe(401);
    // Still there for its members.
    expect((await download(bob, mediaId)).status).toBe(200);
  }, 60_000);

  it('hands on media’s problems: a lying type, an unrecognisable one, an oversized file, a bad range', async () => {
    const lying = await upload(alice, png(5_000), { type: 'application/pdf' });
    expect(lying.response.status).toBe(415);
    expect(lying.response.headers.get('content-type')).toContain('application/problem+json');
    expect(lying.error?.type).toBe('https://parley.dev/problems/media-type-mismatch');

    const unknown = await upload(alice, randomBytes(5_000));
    expect(unknown.response.status).toBe(415);
    expect(unknown.error?.type).toBe('https://parley.dev/problems/unsupported-media-type');

    const before = await recordsOf(stack.tenantA);
    const oversize = await upload(alice, png(17 * MIB), { type: 'image/png' });
    expect(oversize.response.status).toBe(413);
    expect(oversize.error?.type).toBe('https://parley.dev/problems/media-too-large');
    expect(await recordsOf(stack.tenantA)).toBe(before);

    const small = await upload(alice, png(1_000), { type: 'image/png' });
    const range = await download(bob, small.data?.mediaId ?? '', 'bytes=5000-6000');
    expect(range.status).toBe(416);
  }, 60_000);

  it('leaves no object, part or record when the client goes away half-way through an upload', async () => {
    const bucket = s3BucketName(stack.tenantA);
    const before = await objectsOf(bucket);
    const recordsBefore = await recordsOf(stack.tenantA);
    const { hostname, port } = new URL(stack.gateway.url);
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: hostname,
        port,
        method: 'POST',
        path: `/api/v1/conversations/${conversationId}/media`,
        headers: {
          authorization: `Bearer ${alice.accessToken}`,
          'content-type': 'image/png',
          'content-length': String(12 * MIB),
        },
      });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      // Past one S3 part (5 MiB here), so a multipart upload is under way when the client goes.
      req.write(png(7 * MIB), () => setTimeout(() => req.destroy(), 500));
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      // Listing races with media's abort of the multipart upload (minio lists each upload's parts).
      const now = await objectsOf(bucket).catch(() => ['(listing raced an abort)']);
      if (now.length === before.length && (await recordsOf(stack.tenantA)) === recordsBefore) break;
      if (Date.now() > deadline) throw new Error(`left behind: ${JSON.stringify(now)}`);
      await sleep(200);
    }
  }, 60_000);

  it('deletes a file for its uploader only, and its object with it', async () => {
    const sent = await upload(alice, png(20_000), { type: 'image/png' });
    const mediaId = sent.data?.mediaId ?? '';
    const byBob = await bob.client.DELETE('/api/v1/media/{mediaId}', { params: { path: { mediaId } } });
    expect(byBob.response.status).toBe(403);
    const byAlice = await alice.client.DELETE('/api/v1/media/{mediaId}', { params: { path: { mediaId } } });
    expect(byAlice.response.status).toBe(204);
    expect((await download(bob, mediaId)).status).toBe(404);
    const key = mediaObjectKey({ conversationId, mediaId });
    expect(await objectsOf(s3BucketName(stack.tenantA))).not.toContain(key);
  }, 60_000);
});
