/**
 * Downloads: the record (ready only), membership of its conversation (messaging, as the caller),
 * then the object streamed from S3 through the decrypting stream. A range reads only the frames
 * it touches (getPartialObject) and trims the first and last.
 */
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { mediaObjectKey } from '@parley/contracts';
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

export interface Download {
  record: MediaRecord;
  range?: ByteRange;
  body: Readable;
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

  async open(user: ActingUser, mediaId: string, range?: ByteRange): Promise<Download> {
    const record = await this.describe(user, mediaId);
    if (range && (range.start > range.end || range.start >= record.size))
      throw mediaProblems.rangeNotSatisfiable(record.size);
    const bucket = s3BucketName(user.tenant);
    const key = mediaObjectKey({ conversationId: record.conversationId, mediaId });
    const headerBytes = await readAll(await this.#s3.getPartialObject(bucket, key, 0, record.headerLength));
    const header = parseHeader(headerBytes);
    if (!header || header.chunkSize !== record.chunkSize) throw mediaProblems.notFound();
    const dataKey = await this.#dataKeys.decryptDataKey(
      user.tenant,
      MEDIA_OBJECT_PURPOSE,
      header.wrappedDataKey,
    );
    const context = { tenant: user.tenant, mediaId, chunkSize: record.chunkSize };
    const whole = { start: 0, end: record.size - 1 };
    const wanted = range ? { start: range.start, end: Math.min(range.end, record.size - 1) } : whole;
    const frames = frameRange(wanted.start, Math.max(wanted.end, 0), record.size, record.chunkSize);
    const stored = await this.#s3.getPartialObject(
      bucket,
      key,
      record.headerLength + frames.offset,
      frames.length,
    );
    const decrypt = new DecryptingStream(dataKey, context, {
      firstIndex: frames.firstIndex,
      endIndex: frames.lastFrameOfRange,
      objectLastIndex: frames.lastIndex,
    });
    const window = new Window(frames.skip, wanted.end - wanted.start + 1);
    stored.on('error', (error) => decrypt.destroy(error));
    decrypt.on('error', (error) => window.destroy(error));
    stored.pipe(decrypt).pipe(window);
    return { record, ...(range ? { range: wanted } : {}), body: window };
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
