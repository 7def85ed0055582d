/**
 * Thumbnails on the real stack (MinIO, Mongo-wire, Redis; the real messaging service on a port
 * deciding membership), made by media's thumbnail worker after the upload, never in its request:
 * a real image gets a WebP thumbnail, sealed beside the original (ciphertext at rest), served by
 * the download route (`?variant=thumbnail`) to members only; the record gains the image's
 * dimensions. The attacks: a decompression bomb (a few hundred bytes whose header claims
 * 50,000 × 50,000 pixels) and an image over the pixel cap are refused, never decoded, and leave
 * no thumbnail; bytes that only look like a PNG are refused as undecodable; the original stays
 * served in each case. Deleting the file removes its thumbnail too.
 */

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32, deflateSync } from 'node:zlib';
import { mediaDerivedObjectKey } from '@parley/contracts';
import { type MediaFixture, openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import {
  SERVICE_TOKEN as MESSAGING_TOKEN,
  type MessagingFixture,
  openMessagingFixture,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let messaging: MessagingFixture;
let media: MediaFixture;
let tenant: string;
let conversationId: string;
/** The cap the media service runs with here: 4 megapixels. */
const MAX_PIXELS = 4_000_000;

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A well-formed PNG header claiming `width` × `height` 8-bit grey pixels, with one row of data. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // depth 8, greyscale, deflate, adaptive, no interlace
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function upload(userId: string, bytes: Buffer, type: string) {
  const answer = await media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/conversations/${conversationId}/media?name=picture`,
    headers: { ...media.as(userId), 'content-type': type },
    payload: bytes,
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return answer.json() as { mediaId: string; thumbnail?: { state: string } };
}

const recordOf = (mediaId: string) =>
  media.mongo.client
    .db(mongoDatabaseName(tenant))
    .collection<{ _id: string; thumbnail?: { state: string; reason?: string } }>('media')
    .findOne({ _id: mediaId });

/** Waits (generously) until the worker has settled the upload's thumbnail. */
async function settled(mediaId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await recordOf(mediaId))?.thumbnail?.state === 'pending') {
    if (Date.now() > deadline) throw new Error(`thumbnail of ${mediaId} still pending after 60 s`);
    await sleep(200);
  }
}

const content = (mediaId: string, userId: string, variant?: string) =>
  media.app.inject({
    url: `/v1/tenants/${tenant}/media/${mediaId}/content${variant ? `?variant=${variant}` : ''}`,
    headers: media.as(userId),
  });

async function exists(key: string): Promise<boolean> {
  try {
    await media.s3.statObject(s3BucketName(tenant), key);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFound') return false;
    throw error;
  }
}

const thumbKey = (mediaId: string) => mediaDerivedObjectKey({ conversationId, mediaId }, 'thumbnail');

beforeAll(async () => {
  messaging = await openMessagingFixture();
  tenant = messaging.tenant;
  const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
  media = await openMediaFixture({
    keyring: messaging.keyring,
    messagingUrl,
    messagingToken: MESSAGING_TOKEN,
    settings: { MEDIA_THUMBNAIL_MAX_PIXELS: String(MAX_PIXELS), MEDIA_THUMBNAIL_EDGE: '320' },
    thumbnails: { intervalMs: 200 },
  });
  await media.addTenant(tenant);
  const created = await messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'Pictures',
    memberIds: ['bob'],
  });
  expect(created.statusCode).toBe(201);
  conversationId = created.json().id;
}, 120_000);

afterAll(async () => {
  await media?.close();
  await messaging?.close();
});

describe('thumbnails', { timeout: 120_000 }, () => {
  let photo: string;

  it('makes a WebP thumbnail after the upload, sealed beside the original, served to members', async () => {
    const original = await sharp({
      create: {
        width: 1200,
        height: 800,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .png()
      .toBuffer();
    const view = await upload('alice', original, 'image/png');
    photo = view.mediaId;
    // The upload's answer never waits on a decode.
    expect(view.thumbnail).toEqual({ state: 'pending' });
    await settled(photo);

    const record = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${photo}`,
      headers: media.as('bob'),
    });
    expect(record.json()).toMatchObject({
      width: 1200,
      height: 800,
      thumbnail: { state: 'ready', width: 320, height: 213 },
    });
    const thumb = await content(photo, 'bob', 'thumbnail');
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/webp');
    const meta = await sharp(thumb.rawPayload).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 320, height: 213 });
    // At rest beside the original, sealed: not a WebP (RIFF) but Parley's media object.
    const stored = await media.s3.getObject(s3BucketName(tenant), thumbKey(photo));
    const head: Buffer[] = [];
    for await (const part of stored) head.push(part as Buffer);
    expect(Buffer.concat(head).subarray(0, 4).toString('latin1')).toBe('PMO1');
    // The original is still the original.
    expect((await content(photo, 'bob')).rawPayload.equals(original)).toBe(true);
  });

  it('serves no thumbnail to a non-member (the same 404 as for no id)', async () => {
    const refused = await content(photo, 'mallory', 'thumbnail');
    expect(refused.statusCode).toBe(404);
    expect(refused.json().type).toContain('media-not-found');
  });

  it('the attack: a decompression bomb is refused without decoding, and leaves no thumbnail', async () => {
    const bomb = bombPng(50_000, 50_000);
    expect(bomb.length).toBeLessThan(60_000);
    const { mediaId } = await upload('alice', bomb, 'image/png');
    await settled(mediaId);
    expect((await recordOf(mediaId))?.thumbnail).toMatchObject({
      state: 'refused',
      reason: 'too-many-pixels',
    });
    const thumb = await content(mediaId, 'bob', 'thumbnail');
    expect(thumb.statusCode).toBe(404);
    expect(thumb.json().type).toContain('thumbnail-not-found');
    expect(await exists(thumbKey(mediaId))).toBe(false);
    expect((await content(mediaId, 'bob')).rawPayload.equals(bomb)).toBe(true);
  });

  it('refuses a real image over the pixel cap, and bytes that only look like a PNG', async () => {
    const large = await sharp({ create: { width: 2500, height: 2000, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const big = await upload('alice', large, 'image/png');
    // PNG's signature and the start of an IHDR, then no image: file-type calls it a PNG, libvips
    // cannot decode it. (Fixed bytes: after random ones file-type walks "chunks" of random length
    // and half the time calls the file no PNG at all, which media refuses at upload with a 415.)
    const head = Buffer.from('89504e470d0a1a0a0000000d494844520000000100000001080600', 'hex');
    const fake = await upload(
      'alice',
      Buffer.concat([head, Buffer.alloc(4, 0), Buffer.alloc(4000, 0x41)]),
      'image/png',
    );
    await settled(big.mediaId);
    await settled(fake.mediaId);
    expect((await recordOf(big.mediaId))?.thumbnail).toMatchObject({
      state: 'refused',
      reason: 'too-many-pixels',
    });
    expect((await recordOf(fake.mediaId))?.thumbnail).toMatchObject({
      state: 'refused',
      reason: 'undecodable',
    });
    for (const id of [big.mediaId, fake.mediaId]) expect(await exists(thumbKey(id))).toBe(false);
  });

  it('a file that is not an image has no thumbnail', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2000)]);
    const view = await upload('alice', pdf, 'application/pdf');
    expect(view.thumbnail).toBeUndefined();
    expect((await content(view.mediaId, 'bob', 'thumbnail')).statusCode).toBe(404);
  });

  it('deleting the file removes its thumbnail', async () => {
    expect(await exists(thumbKey(photo))).toBe(true);
    const deleted = await media.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${tenant}/media/${photo}`,
      headers: media.as('alice'),
    });
    expect(deleted.statusCode).toBe(204);
    expect(await exists(thumbKey(photo))).toBe(false);
  });
});
