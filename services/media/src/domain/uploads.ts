/**
 * One upload, streamed from the request to S3: membership (messaging), the plan's limits, the
 * type sniffed from the first bytes, then bytes counted, hashed (SHA-256 of the plaintext) and
 * encrypted chunk by chunk (media-cipher.ts) on their way into a multipart upload. Nothing is
 * held whole: at most the sniffing head, one cipher chunk and two S3 parts.
 *
 * Order, so that an upload cut off anywhere leaves nothing: (1) the record `uploading`, holding
 * the bytes it may store against the quota (MediaRecords.reserve: uploads in flight together can
 * never overrun it), (2) the object, (3) the record `ready`, its hold released and the usage
 * counted, in one step. A failure in (2) aborts the multipart
 * upload and deletes the record; a process that dies leaves an `uploading` record, which the
 * sweeper (workers/abandoned-uploads.ts) removes with any object of its key.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { type MediaObjectRef, mediaObjectKey, mediaObjectMetadata } from '@parley/contracts';
import { s3BucketName } from '@parley/tenancy';
import type { Client } from 'minio';
import type { MediaRecord, MediaRecords } from '../store/media-records.ts';
import { writeObject } from '../store/object-writer.ts';
import { SNIFF_BYTES, sniffContentType } from './content-sniffer.ts';
import { EncryptingStream } from './media-cipher.ts';
import { newMediaId } from './media-ids.ts';
import { mediaProblems } from './media-problems.ts';
import type { ActingUser, Membership } from './membership.ts';
import type { PlanLimits } from './plan-limits.ts';
import { THUMBNAIL_SOURCE_TYPES } from './thumbnails.ts';

export const MEDIA_OBJECT_PURPOSE = 'media.object';

export interface MediaDataKeys {
  generateDataKey(
    tenant: string,
    purpose: string,
  ): Promise<{ plaintext: Buffer; wrapped: Buffer; keyName: string; keyVersion: number }>;
  decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer>;
}

export interface UploadRequest {
  user: ActingUser;
  conversationId: string;
  fileName?: string | undefined;
  declaredType?: string | undefined;
  declaredLength?: number | undefined;
  body: AsyncIterable<Buffer>;
}

export interface UploadsOptions {
  s3: Client;
  records: MediaRecords;
  membership: Membership;
  limits: PlanLimits;
  dataKeys: MediaDataKeys;
  allowedTypes: ReadonlySet<string>;
  chunkSize: number;
  partBytes: number;
}

/** The first `n` bytes of a stream (fewer at its end), and the whole stream again as an iterable. */
async function splitHead(
  body: AsyncIterable<Buffer>,
  n: number,
): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, all: all() };
}

/** Counts and hashes the plaintext, and stops the stream at the limit (not after it). */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  readonly #limit: number;
  readonly #refusal: () => Error;

  constructor(limit: number, refusal: () => Error) {
    super();
    this.#limit = limit;
    this.#refusal = refusal;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#limit) {
      callback(this.#refusal());
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

export class Uploads {
  readonly #o: UploadsOptions;

  constructor(options: UploadsOptions) {
    this.#o = options;
  }

  async upload(request: UploadRequest): Promise<MediaRecord> {
    const { user, conversationId } = request;
    const tenant = user.tenant;
    await this.#o.membership.assertMember(user, conversationId);
    const limits = await this.#o.limits.of(tenant);
    const remaining = limits.storageQuotaBytes - (await this.#o.records.usedBytes(tenant));
    const ceiling = Math.min(limits.maxFileBytes, remaining);
    const refusal = () =>
      remaining < limits.maxFileBytes
        ? mediaProblems.quotaExceeded(limits.storageQuotaBytes)
        : mediaProblems.tooLarge(limits.maxFileBytes);
    // A declared length over the limit is refused before a byte is read.
    if (request.declaredLength !== undefined && request.declaredLength > ceiling) throw refusal();

    const { head, all } = await splitHead(request.body, SNIFF_BYTES);
    if (head.length === 0) throw mediaProblems.emptyUpload();
    const { contentType } = await sniffContentType(head, request.declaredType, this.#o.allowedTypes);

    const mediaId = newMediaId();
    const ref: MediaObjectRef = { conversationId, mediaId };
    const key = mediaObjectKey(ref);
    const bucket = s3BucketName(tenant);
    const dataKey = await this.#o.dataKeys.generateDataKey(tenant, MEDIA_OBJECT_PURPOSE);
    const now = new Date();
    const record: MediaRecord = {
      _id: mediaId,
      conversationId,
      uploaderId: user.userId,
      state: 'uploading',
      ...(request.fileName ? { fileName: request.fileName } : {}),
      size: 0,
      contentType,
      sha256: '',
      keyName: dataKey.keyName,
      keyVersion: dataKey.keyVersion,
      chunkSize: this.#o.chunkSize,
      headerLength: 10 + dataKey.wrapped.length,
      createdAt: now,
      updatedAt: now,
    };
    const reserved = await this.#o.records.reserve(tenant, record, {
      quotaBytes: limits.storageQuotaBytes,
      maxFileBytes: limits.maxFileBytes,
      declaredBytes: request.declaredLength,
    });
    // The quota, less what the uploads in flight beside this one hold, has no room for it.
    if (reserved === undefined) throw mediaProblems.quotaExceeded(limits.storageQuotaBytes);
    // Bytes past the hold are refused as over the quota, unless the hold is the file limit itself.
    const limit = Math.min(ceiling, reserved);
    const measure = new Measure(limit, () =>
      limit < limits.maxFileBytes
        ? mediaProblems.quotaExceeded(limits.storageQuotaBytes)
        : mediaProblems.tooLarge(limits.maxFileBytes),
    );
    const encrypt = new EncryptingStream(dataKey.plaintext, dataKey.wrapped, {
      tenant,
      mediaId,
      chunkSize: this.#o.chunkSize,
    });
    const source = Readable.from(all);
    source.on('error', (error) => measure.destroy(error));
    measure.on('error', (error) => encrypt.destroy(error));
    source.pipe(measure).pipe(encrypt);
    try {
      await writeObject(
        {
          s3: this.#o.s3,
          bucket,
          key,
          metadata: mediaObjectMetadata(user.userId),
          partBytes: this.#o.partBytes,
        },
        encrypt,
      );
      if (request.declaredLength !== undefined && measure.bytes !== request.declaredLength)
        throw mediaProblems.incomplete();
    } catch (error) {
      source.destroy();
      await this.#discard(tenant, bucket, key, mediaId);
      throw error;
    }
    const done = await this.#o.records.complete(tenant, mediaId, {
      size: measure.bytes,
      sha256: measure.hash.digest('hex'),
      // An image's thumbnail is asked for in the same write that finishes it (the worker's event):
      // nothing is decoded here, in the request.
      ...(THUMBNAIL_SOURCE_TYPES.has(contentType)
        ? { thumbnail: { state: 'pending' as const, attempts: 0 } }
        : {}),
    });
    if (!done) {
      // The sweeper took it for abandoned (a stall longer than its grace): the upload did not happen.
      await this.#discard(tenant, bucket, key, mediaId);
      throw mediaProblems.incomplete();
    }
    return done;
  }

  async #discard(tenant: string, bucket: string, key: string, mediaId: string): Promise<void> {
    await this.#o.s3.removeObject(bucket, key).catch(() => undefined);
    await this.#o.s3.removeIncompleteUpload(bucket, key).catch(() => undefined);
    await this.#o.records.remove(tenant, mediaId);
  }
}
