/**
 * A PurgeTarget over a tenant's media objects in its S3 bucket, laid out as @parley/contracts
 * media-objects says: `conversations/<conversationId>/<mediaId>`, the uploader in user metadata.
 *
 * - Order and paging are by key (S3 lists in key order, not by time): the cursor is the last key
 *   returned, and held objects stay behind it, so no batch reads them again. A rule that selects
 *   conversations lists only their prefixes; a tenant-wide rule lists `conversations/` and skips
 *   the conversations that have their own rule.
 * - Age is S3's LastModified (media objects are written once, so it is the upload time).
 * - A person hold needs the uploader, which is in metadata: every expired object of a page is
 *   HEADed (a few at a time) before it is offered for deletion. Young objects are never HEADed.
 *   An object whose ETag changed between the listing and the HEAD was rewritten: it is not taken.
 * - Objects outside the layout, or whose metadata names no valid uploader, are never offered:
 *   no one could tell whether a hold covers them.
 * - A missing bucket holds no media: nothing to purge, not an error.
 * - Deleting an object deletes what the media service keeps about it (contracts: "Records"): its
 *   record in the tenant database, its bytes counted in the tenant's usage, and its derived
 *   objects (the thumbnail). The records go first, then the objects: a run that fails in between
 *   leaves an object without a record, which the next run lists again (it is still expired) and
 *   deletes, never a record pointing at nothing. Each record is removed by one findOneAndDelete,
 *   so the usage is given back once however often a run repeats; a crash between the delete and
 *   the usage update over-counts the tenant's use by that file (the side that refuses an upload
 *   too many, never lets one through over quota).
 *
 * Only minio's types are imported: the caller (the operator, the compliance service) passes the
 * client it already has, so this package adds no S3 client to services that never purge media.
 */
import {
  isMediaConversationId,
  MEDIA_KEY_ROOT,
  MEDIA_RECORDS_COLLECTION,
  mediaConversationPrefix,
  mediaDerivedObjectKeys,
  parseMediaObjectKey,
  readMediaUploader,
} from '@parley/contracts';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import type { Client as MinioClient } from 'minio';
import type { Db, MongoClient } from 'mongodb';
import { addMediaUsage } from './media-usage.ts';
import type { PurgeCandidate, PurgeQuery, PurgeTarget } from './purge-target.ts';

export interface S3MediaPurgeTargetOptions {
  s3: MinioClient;
  /** The server of the tenant database, where the media service keeps the objects' records. */
  mongo: MongoClient;
  tenant: string;
  /** HEAD requests in flight while reading uploaders (default 8). */
  statConcurrency?: number;
}

/** An expired object as listed, with the ETag that tells whether it changed before the HEAD. */
interface Listed {
  candidate: PurgeCandidate;
  etag: string;
}

interface KeyRange {
  prefix: string;
  startAfter: string;
}

export class S3MediaPurgeTarget implements PurgeTarget {
  readonly resource = 'media' as const;
  readonly bucket: string;
  readonly #s3: MinioClient;
  readonly #db: Db;
  readonly #statConcurrency: number;

  constructor(options: S3MediaPurgeTargetOptions) {
    this.#s3 = options.s3;
    this.#db = options.mongo.db(mongoDatabaseName(options.tenant));
    this.bucket = s3BucketName(options.tenant);
    this.#statConcurrency = options.statConcurrency ?? 8;
  }

  async listExpired(query: PurgeQuery): Promise<PurgeCandidate[]> {
    const exclude = new Set(query.excludeConversationIds ?? []);
    const found: PurgeCandidate[] = [];
    let pending: Listed[] = [];
    const settle = async () => {
      found.push(...(await this.#withUploaders(pending)));
      pending = [];
    };
    try {
      for (const range of this.#ranges(query)) {
        for await (const item of this.#s3.listObjectsV2(this.bucket, range.prefix, true, range.startAfter)) {
          if (!item.name || !(item.lastModified < query.before)) continue;
          const ref = parseMediaObjectKey(item.name);
          if (!ref || exclude.has(ref.conversationId)) continue;
          pending.push({
            candidate: { id: item.name, createdAt: item.lastModified, conversationId: ref.conversationId },
            etag: item.etag,
          });
          // HEAD what is needed to fill the page; objects dropped by the HEAD are replaced by
          // scanning on, so a short page always means the listing is exhausted.
          if (found.length + pending.length >= query.limit) await settle();
          if (found.length >= query.limit) return found;
        }
      }
      await settle();
    } catch (error) {
      if ((error as { code?: string }).code === 'NoSuchBucket') return [];
      throw error;
    }
    return found;
  }

  async delete(items: PurgeCandidate[], before: Date): Promise<number> {
    const expired = items.filter((item) => item.createdAt < before);
    if (expired.length === 0) return 0;
    const refs = expired.map((item) => parseMediaObjectKey(item.id)).filter((r) => r !== undefined);
    await this.#removeRecords(refs);
    const names = [...expired.map((item) => item.id), ...refs.flatMap(mediaDerivedObjectKeys)];
    // DeleteObjects (quiet) answers only with failures; deleting a key already gone succeeds, so
    // a repeated run is harmless.
    const failures = (await this.#s3.removeObjects(this.bucket, names)).filter((r) => r?.Error);
    if (failures.length > 0) {
      const first = failures[0]?.Error;
      throw new Error(
        `deleted ${names.length - failures.length} of ${names.length} media objects and derived objects; ` +
          `${failures.length} failed (${first?.Code ?? 'Error'}: ${first?.Message ?? ''} ${first?.Key ?? ''})`,
      );
    }
    return expired.length;
  }

  /** The records of these objects, and the bytes they counted in the tenant's usage. */
  async #removeRecords(refs: { conversationId: string; mediaId: string }[]): Promise<void> {
    const records = this.#db.collection<{ _id: string; state?: string; size?: number }>(
      MEDIA_RECORDS_COLLECTION,
    );
    for (const ref of refs) {
      const removed = await records.findOneAndDelete({
        _id: ref.mediaId,
        conversationId: ref.conversationId,
      });
      // An upload still `uploading` was never counted (media counts it when it is ready).
      if (removed && removed.state !== 'uploading' && typeof removed.size === 'number' && removed.size > 0)
        await addMediaUsage(this.#db, -removed.size);
    }
  }

  /** The key ranges a selection covers, in the order pages walk them, resumed after the cursor. */
  *#ranges(query: PurgeQuery): Generator<KeyRange> {
    const after = query.after?.id ?? '';
    if (!query.conversationIds) {
      yield { prefix: MEDIA_KEY_ROOT, startAfter: after };
      return;
    }
    const current = after ? parseMediaObjectKey(after)?.conversationId : undefined;
    // A conversation id the layout cannot hold has no media objects.
    const conversations = [...new Set(query.conversationIds)].filter(isMediaConversationId).sort();
    for (const id of conversations) {
      if (current !== undefined && id < current) continue;
      yield { prefix: mediaConversationPrefix(id), startAfter: id === current ? after : '' };
    }
  }

  /** HEADs each listed object for its uploader; drops those gone, rewritten since, or without one. */
  async #withUploaders(listed: Listed[]): Promise<PurgeCandidate[]> {
    const results: (PurgeCandidate | undefined)[] = new Array(listed.length);
    let next = 0;
    const worker = async () => {
      while (next < listed.length) {
        const index = next++;
        results[index] = await this.#stat(listed[index] as Listed);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#statConcurrency, listed.length) }, worker));
    return results.filter((c): c is PurgeCandidate => c !== undefined);
  }

  async #stat({ candidate, etag }: Listed): Promise<PurgeCandidate | undefined> {
    try {
      const stat = await this.#s3.statObject(this.bucket, candidate.id);
      if (stat.etag !== etag) return undefined;
      const uploader = readMediaUploader(stat.metaData);
      return uploader ? { ...candidate, subjects: [uploader] } : undefined;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NotFound' || code === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}
