/**
 * Media metadata in the tenant's own database (`parley_<tenant>`, collection `media`), and the
 * tenant's storage use (collection `media_usage`, one document). A record is written `uploading`
 * before its object and made `ready` after it, so a crash in between leaves a record the sweeper
 * finds and removes with whatever part of its object exists; only `ready` records are served.
 * Single-document writes only (FerretDB has no multi-document transactions).
 */
import { MEDIA_RECORDS_COLLECTION, MEDIA_USAGE_COLLECTION, MEDIA_USAGE_ID } from '@parley/contracts';
import { addMediaUsage, incrementMediaUsage, withMediaUsageLock } from '@parley/retention';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';

/**
 * `held`: its message was deleted under a legal hold (kept, never served). `expiring`: never
 * attached within the TTL and claimed by the sweeper (workers/unattached-uploads.ts), so no send
 * can bind it while its object goes.
 */
export type MediaState = 'uploading' | 'ready' | 'held' | 'expiring';

/**
 * An image's thumbnail (workers/thumbnails.ts). `pending` is set with `ready` by the upload's
 * completion, in the same single-document write: the record is its own outbox entry, which the
 * thumbnail worker consumes. `refused`: the image is over the pixel or byte cap (a decompression
 * bomb, say) and is never decoded, or libvips would not decode it (the same bytes would give the
 * same answer: never retried).
 */
export interface MediaThumbnail {
  state: 'pending' | 'ready' | 'refused';
  attempts: number;
  reason?: string;
  /** Of the thumbnail (ready). */
  width?: number;
  height?: number;
  /** Plaintext bytes of the thumbnail (WebP). */
  size?: number;
  keyName?: string;
  keyVersion?: number;
  chunkSize?: number;
  headerLength?: number;
}

export interface MediaRecord {
  _id: string;
  conversationId: string;
  uploaderId: string;
  state: MediaState;
  fileName?: string;
  /** Plaintext bytes. */
  size: number;
  contentType: string;
  sha256: string;
  /** The tenant key version that wraps the object's data key. */
  keyName: string;
  keyVersion: number;
  chunkSize: number;
  /** Bytes of the object's header (for ranges: frames start here). */
  headerLength: number;
  /** The message it is attached to (bound by messaging's send, domain/attachments.ts). */
  messageId?: string;
  /** An image's dimensions, read by the thumbnail worker (never in the request path). */
  width?: number;
  height?: number;
  thumbnail?: MediaThumbnail;
  /** While uploading: the bytes it may still store, held against the quota (see reserve()). */
  reservedBytes?: number;
  createdAt: Date;
  updatedAt: Date;
}

interface UsageDocument {
  _id: typeof MEDIA_USAGE_ID;
  bytes: number;
}

export class MediaRecords {
  readonly #mongo: MongoClient;

  constructor(mongo: MongoClient) {
    this.#mongo = mongo;
  }

  #db(tenant: string) {
    return this.#mongo.db(mongoDatabaseName(tenant));
  }

  #records(tenant: string): Collection<MediaRecord> {
    return this.#mongo.db(mongoDatabaseName(tenant)).collection<MediaRecord>(MEDIA_RECORDS_COLLECTION);
  }

  #usage(tenant: string): Collection<UsageDocument> {
    return this.#mongo.db(mongoDatabaseName(tenant)).collection<UsageDocument>(MEDIA_USAGE_COLLECTION);
  }

  async ensureIndexes(tenant: string): Promise<void> {
    await this.#records(tenant).createIndex({ conversationId: 1, createdAt: 1 });
    await this.#records(tenant).createIndex({ uploaderId: 1 });
    await this.#records(tenant).createIndex({ state: 1, updatedAt: 1 });
    await this.#records(tenant).createIndex({ messageId: 1 });
  }

  /**
   * Begins an upload (its record `uploading`) holding the bytes it may store against the quota,
   * or refuses it (undefined): what is stored plus what the uploads in flight hold must stay
   * within `quotaBytes`. A declared length is held whole; without one, the upload may take what is
   * left, up to `maxFileBytes`. Under the usage lock, so two uploads that begin together cannot
   * both take the last bytes; a crashed upload's hold goes with its record (the sweeper's).
   */
  async reserve(
    tenant: string,
    record: MediaRecord,
    limits: { quotaBytes: number; maxFileBytes: number; declaredBytes?: number | undefined },
  ): Promise<number | undefined> {
    return withMediaUsageLock(this.#db(tenant), async () => {
      const [used, held] = await Promise.all([
        this.usedBytes(tenant),
        this.#records(tenant)
          .find({ state: 'uploading' }, { projection: { reservedBytes: 1 } })
          .toArray()
          .then((inFlight) => inFlight.reduce((sum, r) => sum + (r.reservedBytes ?? 0), 0)),
      ]);
      const left = limits.quotaBytes - used - held;
      const wanted = limits.declaredBytes ?? Math.min(limits.maxFileBytes, left);
      if (wanted <= 0 || wanted > left) return undefined;
      await this.#records(tenant).insertOne({ ...record, reservedBytes: wanted });
      return wanted;
    });
  }

  /** Finishes an upload: `ready`, its hold released and its size counted, in one turn of the lock. */
  async complete(
    tenant: string,
    id: string,
    fields: Pick<MediaRecord, 'size' | 'sha256' | 'thumbnail'>,
  ): Promise<MediaRecord | null> {
    return withMediaUsageLock(this.#db(tenant), async () => {
      const done = await this.#records(tenant).findOneAndUpdate(
        { _id: id, state: 'uploading' },
        { $set: { ...fields, state: 'ready', updatedAt: new Date() }, $unset: { reservedBytes: '' } },
        { returnDocument: 'after' },
      );
      if (done) await incrementMediaUsage(this.#db(tenant), done.size);
      return done;
    });
  }

  async get(tenant: string, id: string): Promise<MediaRecord | null> {
    return this.#records(tenant).findOne({ _id: id, state: 'ready' });
  }

  async remove(tenant: string, id: string): Promise<MediaRecord | null> {
    return this.#records(tenant).findOneAndDelete({ _id: id });
  }

  async byUploader(tenant: string, uploaderId: string): Promise<MediaRecord[]> {
    return this.#records(tenant).find({ uploaderId, state: 'ready' }).sort({ createdAt: 1 }).toArray();
  }

  /**
   * Binds one upload to a message, if it is a finished upload of `uploaderId` into
   * `conversationId` that no other message carries (one conditional single-document update, so
   * two sends racing for the same upload cannot both win). 'bound' when this call bound it,
   * 'already' when it was bound to this message before (a retried send), 'refused' otherwise.
   */
  /** GDPR erasure `anonymise`: the file stays in its conversation, no longer attributed or named. */
  async anonymise(tenant: string, id: string, formerUploader: string): Promise<void> {
    await this.#records(tenant).updateOne(
      { _id: id },
      { $set: { uploaderId: formerUploader, updatedAt: new Date() }, $unset: { fileName: '' } },
    );
  }

  async bind(
    tenant: string,
    id: string,
    to: { messageId: string; conversationId: string; uploaderId: string },
  ): Promise<'bound' | 'already' | 'refused'> {
    const mine = {
      _id: id,
      state: 'ready' as const,
      conversationId: to.conversationId,
      uploaderId: to.uploaderId,
    };
    const bound = await this.#records(tenant).findOneAndUpdate(
      { ...mine, messageId: { $exists: false } },
      { $set: { messageId: to.messageId, updatedAt: new Date() } },
    );
    if (bound) return 'bound';
    return (await this.#records(tenant).countDocuments({ ...mine, messageId: to.messageId })) > 0
      ? 'already'
      : 'refused';
  }

  /** Undoes a bind of this call (another id of the same send was refused). */
  async unbind(tenant: string, id: string, messageId: string): Promise<void> {
    await this.#records(tenant).updateOne(
      { _id: id, messageId },
      { $unset: { messageId: '' }, $set: { updatedAt: new Date() } },
    );
  }

  async markHeld(tenant: string, id: string): Promise<void> {
    await this.#records(tenant).updateOne({ _id: id }, { $set: { state: 'held', updatedAt: new Date() } });
  }

  /** Served records among `ids` bound to `messageId`. */
  async boundTo(tenant: string, messageId: string, ids: readonly string[]): Promise<MediaRecord[]> {
    return this.#records(tenant)
      .find({ _id: { $in: [...ids] }, messageId, state: 'ready' })
      .toArray();
  }

  async byMessage(tenant: string, messageId: string): Promise<MediaRecord[]> {
    return this.#records(tenant).find({ messageId }).toArray();
  }

  async byConversation(tenant: string, conversationId: string): Promise<MediaRecord[]> {
    return this.#records(tenant).find({ conversationId }).toArray();
  }

  /**
   * Claims finished uploads attached to no message since before `before` (state `expiring`: a
   * bind needs `ready`, so a send racing the sweep is refused rather than left pointing at a
   * removed file), and returns them with any claimed earlier and not finished (a crash).
   */
  async claimUnattached(tenant: string, before: Date, limit = 100): Promise<MediaRecord[]> {
    const stale = { state: 'ready' as const, messageId: { $exists: false }, updatedAt: { $lt: before } };
    const candidates = await this.#records(tenant).find(stale).limit(limit).toArray();
    for (const record of candidates)
      await this.#records(tenant).updateOne(
        { _id: record._id, ...stale },
        { $set: { state: 'expiring', updatedAt: new Date() } },
      );
    return this.#records(tenant).find({ state: 'expiring' }).limit(limit).toArray();
  }

  /** Uploads begun before `before` and never completed (their process died). */
  async abandoned(tenant: string, before: Date, limit = 100): Promise<MediaRecord[]> {
    return this.#records(tenant)
      .find({ state: 'uploading', updatedAt: { $lt: before } })
      .limit(limit)
      .toArray();
  }

  /** Finished uploads waiting for their thumbnail, oldest first. */
  async pendingThumbnails(tenant: string, limit = 20): Promise<MediaRecord[]> {
    return this.#records(tenant)
      .find({ state: 'ready', 'thumbnail.state': 'pending' })
      .sort({ createdAt: 1 })
      .limit(limit)
      .toArray();
  }

  /**
   * Records the outcome of a pending thumbnail; false when the record is gone or no longer
   * pending (deleted, purged, or settled by another replica), so the caller removes what it wrote.
   */
  async settleThumbnail(
    tenant: string,
    id: string,
    thumbnail: MediaThumbnail,
    dimensions?: { width: number; height: number },
  ): Promise<boolean> {
    const result = await this.#records(tenant).updateOne(
      { _id: id, 'thumbnail.state': 'pending' },
      { $set: { thumbnail, ...(dimensions ?? {}), updatedAt: new Date() } },
    );
    return result.matchedCount === 1;
  }

  async usedBytes(tenant: string): Promise<number> {
    return (await this.#usage(tenant).findOne({ _id: MEDIA_USAGE_ID }))?.bytes ?? 0;
  }

  /** The tenant's usage changed by `bytes` (retention's addMediaUsage: the one way both writers change it). */
  async addUsage(tenant: string, bytes: number): Promise<void> {
    await addMediaUsage(this.#mongo.db(mongoDatabaseName(tenant)), bytes);
  }
}
