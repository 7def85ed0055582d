/**
 * Downloads: the record (ready only), membership of its conversation (messaging, as the caller),
 * then the object streamed from S3 through the decrypting stream. A range reads only the frames
 * it touches (getPartialObject) and trims the first and last. The same path serves an image's
 * thumbnail (variant `thumbnail`: its own object beside the original, its own data key, frames
 * bound to `<mediaId>.thumbnail` so neither can be served as the other).
 */
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { mediaDerivedObjectKey, mediaObjectKey } from '@parley/contracts';
import { s3BucketName } from '@parley/tenancy';
import type { Client } from 'minio';
import type { MediaRecord, MediaRecords } from '../store/media-records.ts';
import { DecryptingStream, frameRange, parseHeader } from './media-cipher.ts';
import { mediaProblems } from './media-problems.ts';
import type { ActingUser, Membership } from './membership.ts';
import { MEDIA_OBJECT_PURPOSE, type MediaDataKeys } from './uploads.ts';

export interface ByteRange {
  start: number;
  end: number;
}

export type MediaVariant = 'original' | 'thumbnail';

/** Where a variant of a record rests and how it was sealed. */
export interface StoredVariant {
  key: string;
  /** The id its frames are bound to (the cipher's AAD). */
  sealedAs: string;
  size: number;
  chunkSize: number;
  headerLength: number;
  contentType: string;
}

export interface Download {
  record: MediaRecord;
  stored: StoredVariant;
  range?: ByteRange;
  body: Readable;
}

/** The id a thumbnail's frames are bound to. */
export const thumbnailSealedAs = (mediaId: string) => `${mediaId}.thumbnail`;

/** The stored variant, or undefined when the record has none (no thumbnail, or not yet). */
export function storedVariant(record: MediaRecord, variant: MediaVariant): StoredVariant | undefined {
  const ref = { conversationId: record.conversationId, mediaId: record._id };
  if (variant === 'original')
    return {
      key: mediaObjectKey(ref),
      sealedAs: record._id,
      size: record.size,
      chunkSize: record.chunkSize,
      headerLength: record.headerLength,
      contentType: record.contentType,
    };
  const t = record.thumbnail;
  if (t?.state !== 'ready' || !t.size || !t.chunkSize || !t.headerLength) return undefined;
  return {
    key: mediaDerivedObjectKey(ref, 'thumbnail'),
    sealedAs: thumbnailSealedAs(record._id),
    size: t.size,
    chunkSize: t.chunkSize,
    headerLength: t.headerLength,
    contentType: 'image/webp',
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Drops `skip` bytes, then passes `length` bytes, then nothing. */
class Window extends Transform {
  #skip: number;
  #left: number;
  constructor(skip: number, length: number) {
    super();
    this.#skip = skip;
    this.#left = length;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let part = chunk;
    if (this.#skip > 0) {
      const dropped = Math.min(this.#skip, part.length);
      part = part.subarray(dropped);
      this.#skip -= dropped;
    }
    if (this.#left > 0 && part.length > 0) {
      const kept = part.subarray(0, this.#left);
      this.#left -= kept.length;
      callback(null, kept);
      return;
    }
    callback();
  }
}

export class Downloads {
  readonly #s3: Client;
  readonly #records: MediaRecords;
  readonly #membership: Membership;
  readonly #dataKeys: MediaDataKeys;

  constructor(options: {
    s3: Client;
    records: MediaRecords;
    membership: Membership;
    dataKeys: MediaDataKeys;
  }) {
    this.#s3 = options.s3;
    this.#records = options.records;
    this.#membership = options.membership;
    this.#dataKeys = options.dataKeys;
  }

  /** The record, to a member of its conversation only (everyone else: the same 404 as for no id). */
  async describe(user: ActingUser, mediaId: string): Promise<MediaRecord> {
    const record = await this.#records.get(user.tenant, mediaId);
    if (!record) throw mediaProblems.notFound();
    try {
      await this.#membership.assertMember(user, record.conversationId);
    } catch (error) {
      if ((error as { status?: number }).status === 404) throw mediaProblems.notFound();
      throw error;
    }
    return record;
  }

  async open(
    user: ActingUser,
    mediaId: string,
    range?: ByteRange,
    variant: MediaVariant = 'original',
  ): Promise<Download> {
    const record = await this.describe(user, mediaId);
    const stored = storedVariant(record, variant);
    if (!stored) throw mediaProblems.thumbnailNotFound();
    if (range && (range.start > range.end || range.start >= stored.size))
      throw mediaProblems.rangeNotSatisfiable(stored.size);
    const wanted = range ? { start: range.start, end: Math.min(range.end, stored.size - 1) } : undefined;
    const body = await this.read(user.tenant, stored, wanted);
    return { record, stored, ...(wanted ? { range: wanted } : {}), body };
  }

  /**
   * The plaintext of a stored variant (whole, or one range), with no membership check: for
   * open() above and for the thumbnail worker, which reads what it decodes as the service.
   */
  async read(tenant: string, stored: StoredVariant, range?: ByteRange): Promise<Readable> {
    const bucket = s3BucketName(tenant);
    const headerBytes = await readAll(
      await this.#s3.getPartialObject(bucket, stored.key, 0, stored.headerLength),
    );
    const header = parseHeader(headerBytes);
    if (!header || header.chunkSize !== stored.chunkSize) throw mediaProblems.notFound();
    const dataKey = await this.#dataKeys.decryptDataKey(tenant, MEDIA_OBJECT_PURPOSE, header.wrappedDataKey);
    const context = { tenant, mediaId: stored.sealedAs, chunkSize: stored.chunkSize };
    const wanted = range ?? { start: 0, end: stored.size - 1 };
    const frames = frameRange(wanted.start, Math.max(wanted.end, 0), stored.size, stored.chunkSize);
    const object = await this.#s3.getPartialObject(
      bucket,
      stored.key,
      stored.headerLength + frames.offset,
      frames.length,
    );
    const decrypt = new DecryptingStream(dataKey, context, {
      firstIndex: frames.firstIndex,
      endIndex: frames.lastFrameOfRange,
      objectLastIndex: frames.lastIndex,
    });
    const window = new Window(frames.skip, wanted.end - wanted.start + 1);
    object.on('error', (error) => decrypt.destroy(error));
    decrypt.on('error', (error) => window.destroy(error));
    object.pipe(decrypt).pipe(window);
    return window;
  }
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range; several are served whole, as RFC 9110 allows). */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, from, to] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
