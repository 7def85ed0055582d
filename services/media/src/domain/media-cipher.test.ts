/**
 * The at-rest format on its own (no servers): round trips at the frame boundaries, ranges, and
 * refusal of everything an attacker with write access to the bucket could do to an object:
 * swap frames, drop the last frame, flip a bit, move it to another object or tenant.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  DecryptingStream,
  EncryptingStream,
  FRAME_OVERHEAD,
  frameRange,
  framesSize,
  parseHeader,
} from './media-cipher.ts';

const CHUNK = 1024;
const key = randomBytes(32);
const wrapped = randomBytes(70);
const context = { tenant: 'acme', mediaId: 'm1', chunkSize: CHUNK };

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function encrypt(plain: Buffer, ctx = context): Promise<{ header: number; frames: Buffer }> {
  // Written in uneven pieces, as a network delivers them.
  const pieces = [plain.subarray(0, 7), plain.subarray(7, 1500), plain.subarray(1500)].filter(
    (p) => p.length > 0,
  );
  const stored = await collect(Readable.from(pieces).pipe(new EncryptingStream(key, wrapped, ctx)));
  const header = parseHeader(stored);
  if (!header) throw new Error('no header');
  expect(header.chunkSize).toBe(CHUNK);
  expect(header.wrappedDataKey.equals(wrapped)).toBe(true);
  return { header: header.length, frames: stored.subarray(header.length) };
}

function decrypt(frames: Buffer, size: number, ctx = context, start = 0, end = size - 1): Promise<Buffer> {
  const range = frameRange(start, end, size, CHUNK);
  const decrypting = new DecryptingStream(key, ctx, {
    firstIndex: range.firstIndex,
    endIndex: range.lastFrameOfRange,
    objectLastIndex: range.lastIndex,
  });
  return collect(
    Readable.from([frames.subarray(range.offset, range.offset + range.length)]).pipe(decrypting),
  ).then((plain) => plain.subarray(range.skip, range.skip + end - start + 1));
}

describe('media cipher', () => {
  it('round-trips every size around the frame boundaries, with the stored size the format predicts', async () => {
    for (const size of [1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 17]) {
      const plain = randomBytes(size);
      const { frames } = await encrypt(plain);
      expect(frames.length).toBe(framesSize(size, CHUNK));
      expect((await decrypt(frames, size)).equals(plain)).toBe(true);
      // No plaintext in the frames (16 bytes: a shorter run turns up in random ciphertext by chance).
      if (size >= 16) expect(frames.includes(plain.subarray(0, 16))).toBe(false);
    }
  });

  it('serves ranges from the frames they touch only', async () => {
    const size = 5 * CHUNK + 17;
    const plain = randomBytes(size);
    const { frames } = await encrypt(plain);
    for (const [start, end] of [
      [0, 0],
      [CHUNK - 1, CHUNK],
      [2 * CHUNK + 5, 4 * CHUNK],
      [size - 3, size - 1],
    ] as const) {
      expect((await decrypt(frames, size, context, start, end)).equals(plain.subarray(start, end + 1))).toBe(
        true,
      );
      const range = frameRange(start, end, size, CHUNK);
      expect(range.length).toBeLessThanOrEqual(
        (range.lastFrameOfRange - range.firstIndex + 1) * (CHUNK + FRAME_OVERHEAD),
      );
    }
  });

  it('refuses swapped frames, a dropped last frame, a flipped bit, another object and another tenant', async () => {
    const size = 3 * CHUNK + 100;
    const { frames } = await encrypt(randomBytes(size));
    const frame = CHUNK + FRAME_OVERHEAD;
    const swapped = Buffer.concat([
      frames.subarray(frame, 2 * frame),
      frames.subarray(0, frame),
      frames.subarray(2 * frame),
    ]);
    await expect(decrypt(swapped, size)).rejects.toThrow(/Decryption failed/);
    // Cut at a frame boundary and presented as a shorter object: its new last frame was not sealed final.
    await expect(decrypt(frames.subarray(0, 3 * frame), 3 * CHUNK)).rejects.toThrow(/Decryption failed/);
    const flipped = Buffer.from(frames);
    flipped[frame + 40] = (flipped[frame + 40] ?? 0) ^ 1;
    await expect(decrypt(flipped, size)).rejects.toThrow(/Decryption failed/);
    await expect(decrypt(frames, size, { ...context, mediaId: 'm2' })).rejects.toThrow(/Decryption failed/);
    await expect(decrypt(frames, size, { ...context, tenant: 'globex' })).rejects.toThrow(
      /Decryption failed/,
    );
  });

  it('refuses an object that is not in the format', () => {
    expect(() => parseHeader(Buffer.from('GIF89a-not-a-media-object'))).toThrow(/not a media object/);
  });
});
