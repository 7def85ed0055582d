/**
 * The thumbnail worker: consumes media's own "upload completed" events, which are the records
 * themselves (an image's record is made `ready` with `thumbnail.state: pending` in one write, so
 * the event cannot part from the upload it announces, and a crash loses nothing: the record stays
 * pending until a pass settles it). Chosen over a Kafka topic because media is its only consumer
 * and the operator provisions no media topic; the record-as-outbox is what every service here
 * does for its writes.
 *
 * Each pass, per tenant, oldest first: the original is read back (decrypted, as the service, no
 * user), decoded under the caps (domain/thumbnails.ts), the WebP sealed under a fresh data key
 * (frames bound to `<mediaId>.thumbnail`) and written beside the original
 * (`<key>.thumbnail`, the uploader in its metadata, as the layout asks), then the record settles:
 * `ready` with the thumbnail's and the original's dimensions, or `refused` with the reason (over a
 * cap, undecodable: the same bytes would give the same answer, so never retried). A record gone or
 * settled meanwhile (deleted, purged) leaves no thumbnail behind: the object written is removed.
 * S3, the keyring or the database failing throws: the pass ends and the next retries.
 * Replicas racing for one record write the same thing; the first settle wins, the others remove
 * nothing (their write was the same key) and log nothing.
 */
import { Readable } from 'node:stream';
import { mediaDerivedObjectKey, mediaObjectMetadata } from '@parley/contracts';
import { type Logger, PeriodicTask } from '@parley/kit';
import { s3BucketName } from '@parley/tenancy';
import type { Client } from 'minio';
import { type Downloads, storedVariant, thumbnailSealedAs } from '../domain/downloads.ts';
import { EncryptingStream } from '../domain/media-cipher.ts';
import { ImageRefusedError, makeThumbnail, type ThumbnailLimits } from '../domain/thumbnails.ts';
import { MEDIA_OBJECT_PURPOSE, type MediaDataKeys } from '../domain/uploads.ts';
import type { MediaRecord, MediaRecords } from '../store/media-records.ts';

export interface ThumbnailOutcome {
  made: number;
  refused: number;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class ThumbnailMaker {
  readonly #o: {
    s3: Client;
    records: MediaRecords;
    downloads: Downloads;
    dataKeys: MediaDataKeys;
    limits: ThumbnailLimits;
    chunkSize: number;
  };

  constructor(options: {
    s3: Client;
    records: MediaRecords;
    downloads: Downloads;
    dataKeys: MediaDataKeys;
    limits: ThumbnailLimits;
    chunkSize: number;
  }) {
    this.#o = options;
  }

  /** Every pending thumbnail of the tenant, up to `limit` records. */
  async pass(tenant: string, limit = 20): Promise<ThumbnailOutcome> {
    const outcome = { made: 0, refused: 0 };
    for (const record of await this.#o.records.pendingThumbnails(tenant, limit)) {
      if ((await this.make(tenant, record)) === 'ready') outcome.made += 1;
      else outcome.refused += 1;
    }
    return outcome;
  }

  async make(tenant: string, record: MediaRecord): Promise<'ready' | 'refused'> {
    const attempts = (record.thumbnail?.attempts ?? 0) + 1;
    if (record.size > this.#o.limits.maxInputBytes) {
      await this.#o.records.settleThumbnail(tenant, record._id, {
        state: 'refused',
        attempts,
        reason: 'too-large',
      });
      return 'refused';
    }
    const original = storedVariant(record, 'original');
    if (!original) throw new Error(`media ${record._id} has no original`);
    const bytes = await collect(await this.#o.downloads.read(tenant, original));
    let made: Awaited<ReturnType<typeof makeThumbnail>>;
    try {
      made = await makeThumbnail(bytes, this.#o.limits);
    } catch (error) {
      if (!(error instanceof ImageRefusedError)) throw error;
      await this.#o.records.settleThumbnail(tenant, record._id, {
        state: 'refused',
        attempts,
        reason: error.reason,
      });
      return 'refused';
    }
    const sealed = await this.#seal(tenant, record, made.data);
    const bucket = s3BucketName(tenant);
    const key = mediaDerivedObjectKey(
      { conversationId: record.conversationId, mediaId: record._id },
      'thumbnail',
    );
    await this.#o.s3.putObject(
      bucket,
      key,
      sealed.bytes,
      sealed.bytes.length,
      mediaObjectMetadata(record.uploaderId),
    );
    const settled = await this.#o.records.settleThumbnail(
      tenant,
      record._id,
      {
        state: 'ready',
        attempts,
        width: made.width,
        height: made.height,
        size: made.data.length,
        keyName: sealed.keyName,
        keyVersion: sealed.keyVersion,
        chunkSize: this.#o.chunkSize,
        headerLength: sealed.headerLength,
      },
      made.source,
    );
    // Deleted or purged while we worked: what we wrote must not outlive it.
    if (!settled && !(await this.#stillReady(tenant, record._id))) await this.#o.s3.removeObject(bucket, key);
    return 'ready';
  }

  async #stillReady(tenant: string, id: string): Promise<boolean> {
    const now = await this.#o.records.get(tenant, id);
    return now?.thumbnail?.state === 'ready';
  }

  async #seal(tenant: string, record: MediaRecord, plain: Buffer) {
    const dataKey = await this.#o.dataKeys.generateDataKey(tenant, MEDIA_OBJECT_PURPOSE);
    const encrypt = new EncryptingStream(dataKey.plaintext, dataKey.wrapped, {
      tenant,
      mediaId: thumbnailSealedAs(record._id),
      chunkSize: this.#o.chunkSize,
    });
    const bytes = await collect(Readable.from([plain]).pipe(encrypt));
    return {
      bytes,
      keyName: dataKey.keyName,
      keyVersion: dataKey.keyVersion,
      headerLength: 10 + dataKey.wrapped.length,
    };
  }
}

export function thumbnailWorker(options: {
  maker: ThumbnailMaker;
  tenants: () => Promise<string[]>;
  intervalMs: number;
  logger: Logger;
}): PeriodicTask<ThumbnailOutcome> {
  return new PeriodicTask<ThumbnailOutcome>({
    name: 'media.thumbnails',
    intervalMs: options.intervalMs,
    logger: options.logger,
    run: async () => {
      const total = { made: 0, refused: 0 };
      for (const tenant of await options.tenants()) {
        const outcome = await options.maker.pass(tenant);
        total.made += outcome.made;
        total.refused += outcome.refused;
      }
      return total;
    },
    onResult: (outcome, logger) => {
      if (outcome.made + outcome.refused > 0) logger.info(outcome, 'thumbnails settled');
    },
  });
}
