/**
 * Signed download links on the real stack (MinIO, Mongo-wire, Redis; the real messaging service
 * on a port deciding membership): a member gets a link and downloads through it without any
 * acting-user headers (ranges too); the attacks are performed: a tampered token (claims and
 * signature), an expired one, one signed for another tenant and one for another upload, one
 * under another secret, and a user removed from the conversation after the link was made.
 */
import { randomBytes } from 'node:crypto';
import { DownloadLinks } from '@parley/media-service/src/domain/download-links.ts';
import { type MediaFixture, openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import {
  SERVICE_TOKEN as MESSAGING_TOKEN,
  type MessagingFixture,
  openMessagingFixture,
  uniqueTenant,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { tenantRuntimeKey, writeTenantRuntimeRecord } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = `links-test-${randomBytes(16).toString('hex')}`;
let messaging: MessagingFixture;
let media: MediaFixture;
let tenant: string;
let otherTenant: string;
let conversationId: string;
let mediaId: string;
let otherMediaId: string;
let bytes: Buffer;

function png(size: number): Buffer {
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
    'hex',
  );
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

async function upload(userId: string, body: Buffer, t = tenant, conversation = conversationId) {
  const answer = await media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${t}/conversations/${conversation}/media`,
    headers: { ...media.as(userId), 'content-type': 'image/png' },
    payload: body,
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return answer.json().mediaId as string;
}

async function linkFor(userId: string, id = mediaId) {
  return media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/media/${id}/links`,
    headers: media.as(userId),
  });
}

/** A download through a link: only the gateway's credential, no user headers. */
function follow(token: string, options: { t?: string; id?: string; range?: string } = {}) {
  return media.app.inject({
    url: `/v1/tenants/${options.t ?? tenant}/media/${options.id ?? mediaId}/linked-content?token=${encodeURIComponent(token)}`,
    headers: {
      'x-service-token': media.as('x')['x-service-token'] as string,
      ...(options.range ? { range: options.range } : {}),
    },
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
    settings: { MEDIA_LINK_SECRET: SECRET, MEDIA_LINK_TTL_S: '60' },
  });
  await media.addTenant(tenant);
  otherTenant = uniqueTenant('ml');
  await writeTenantRuntimeRecord(media.redis.client, otherTenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 10, storageGiB: 1, messagesPerSecond: 10 },
    generation: 1,
  });
  await media.addTenant(otherTenant);
  const created = await messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'Links',
    memberIds: ['bob', 'carol'],
  });
  expect(created.statusCode).toBe(201);
  conversationId = created.json().id;
  bytes = png(6000);
  mediaId = await upload('alice', bytes);
  otherMediaId = await upload('alice', png(3000));
}, 120_000);

afterAll(async () => {
  await media?.close();
  await media?.redis.client.del(tenantRuntimeKey(otherTenant)).catch(() => {});
  await messaging?.close();
}, 60_000);

describe('signed download links', () => {
  it('a member gets a short-lived link and downloads through it without user headers, ranges too', async () => {
    const answer = await linkFor('bob');
    expect(answer.statusCode, answer.body).toBe(201);
    const { token, expiresAt } = answer.json();
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const lifetime = Date.parse(expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(50_000);
    expect(lifetime).toBeLessThanOrEqual(60_000);
    const whole = await follow(token);
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(bytes)).toBe(true);
    const part = await follow(token, { range: 'bytes=100-199' });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(bytes.subarray(100, 200))).toBe(true);
  });

  it('is given to members only: a non-member gets the 404 of an unknown id', async () => {
    const answer = await linkFor('mallory');
    expect(answer.statusCode).toBe(404);
    expect(answer.json().type).toContain('media-not-found');
  });

  it('refuses a tampered token: other claims under the old signature, or a changed signature', async () => {
    const { token } = (await linkFor('bob')).json();
    const [version, claims, mac] = token.split('.');
    const forged = JSON.parse(Buffer.from(claims, 'base64url').toString());
    forged.u = 'mallory';
    forged.exp += 86_400;
    const swapped = `${version}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`;
    const flipped = `${version}.${claims}.${mac.startsWith('A') ? `B${mac.slice(1)}` : `A${mac.slice(1)}`}`;
    for (const bad of [swapped, flipped, `${version}.${claims}`, 'v2.x.y', 'garbage']) {
      const answer = await follow(bad);
      expect(answer.statusCode, bad).toBe(403);
      expect(answer.json().type).toContain('download-link-invalid');
    }
  });

  it('refuses a link signed under another secret (another deployment’s)', async () => {
    const elsewhere = new DownloadLinks({ secret: `x${SECRET}`, ttlSeconds: 60 });
    const { token } = elsewhere.sign({ tenant, userId: 'bob', roles: ['member'] }, mediaId);
    expect((await follow(token)).json().type).toContain('download-link-invalid');
  });

  it('refuses an expired link', async () => {
    const past = new DownloadLinks({ secret: SECRET, ttlSeconds: 60, now: () => Date.now() - 61_000 });
    const { token } = past.sign({ tenant, userId: 'bob', roles: ['member'] }, mediaId);
    const answer = await follow(token);
    expect(answer.statusCode).toBe(403);
    expect(answer.json().type).toContain('download-link-expired');
  });

  it('is bound to its tenant and its upload: presented for another tenant or another id it is refused', async () => {
    const { token } = (await linkFor('bob')).json();
    // The same media id under another tenant's path, and another upload of the same tenant.
    const theirs = await follow(token, { t: otherTenant });
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json().type).toContain('download-link-invalid');
    const another = await follow(token, { id: otherMediaId });
    expect(another.statusCode).toBe(403);
    // A link genuinely signed for another tenant's user does not open this tenant's file.
    const signer = new DownloadLinks({ secret: SECRET, ttlSeconds: 60 });
    const foreign = signer.sign({ tenant: otherTenant, userId: 'bob', roles: ['member'] }, mediaId);
    expect((await follow(foreign.token)).statusCode).toBe(403);
  });

  it('stops working once its user is removed from the conversation (membership asked at each download)', async () => {
    const { token } = (await linkFor('carol')).json();
    expect((await follow(token)).statusCode).toBe(200);
    const removed = await messaging.call('alice', 'DELETE', `/conversations/${conversationId}/members/carol`);
    expect(removed.statusCode).toBe(204);
    const after = await follow(token);
    expect(after.statusCode).toBe(404);
    expect(after.json().type).toContain('media-not-found');
  });

  it('is refused to any caller but the gateway', async () => {
    const { token } = (await linkFor('bob')).json();
    const answer = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${mediaId}/linked-content?token=${encodeURIComponent(token)}`,
      headers: { 'x-service-token': 'not-a-service-token-0123456789' },
    });
    expect(answer.statusCode).toBe(401);
  });
});
