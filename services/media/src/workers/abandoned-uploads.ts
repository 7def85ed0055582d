/**
 * Removes uploads whose process died between their record and their object's completion: the
 * record is `uploading` and older than the grace, so no live upload owns it. Its object (if the
 * multipart completed just before the crash) and any incomplete multipart upload of its key go
 * with it. A live upload that outlasts the grace finds its record gone at completion and
 * discards its own object (uploads.ts).
 */
import { mediaObjectKey } from '@parley/contracts';
import { type Logger, PeriodicTask } from '@parley/kit';
import { s3BucketName } from '@parley/tenancy';
import type { Client } from 'minio';
import type { MediaRecords } from '../store/media-records.ts';

export function abandonedUploadsSweeper(options: {
  s3: Client;
  records: MediaRecords;
  tenants: () => Promise<string[]>;
  olderThanMs: number;
  intervalMs: number;
  logger: Logger;
}): PeriodicTask<number> {
  return new PeriodicTask<number>({
    name: 'media.abandoned-uploads',
    intervalMs: options.intervalMs,
    logger: options.logger,
    run: async () => {
      let removed = 0;
      for (const tenant of await options.tenants()) {
        const before = new Date(Date.now() - options.olderThanMs);
        for (const record of await options.records.abandoned(tenant, before)) {
          const bucket = s3BucketName(tenant);
          const key = mediaObjectKey({ conversationId: record.conversationId, mediaId: record._id });
          await removeIncompleteUploadIfAny(options.s3, bucket, key);
          await options.s3.removeObject(bucket, key);
          await options.records.remove(tenant, record._id);
          removed += 1;
        }
      }
      return removed;
    },
    onResult: (removed, logger) => {
      if (removed > 0) logger.info({ removed }, 'abandoned uploads removed');
    },
  });
}

/** Tenants with a media collection in their database (only they can have abandoned uploads). */
export async function tenantsWithMedia(mongo: import('mongodb').MongoClient): Promise<string[]> {
  const { databases } = await mongo.db('admin').admin().listDatabases({ nameOnly: true });
  return databases
    .map((d) => d.name)
    .filter((name) => name.startsWith('parley_') && name !== 'parley_platform')
    .map((name) => name.slice('parley_'.length).replaceAll('_', '-'));
}

/** minio's removeIncompleteUpload answers NoSuchUpload when there is none: nothing to remove is fine. */
export async function removeIncompleteUploadIfAny(s3: Client, bucket: string, key: string): Promise<void> {
  try {
    await s3.removeIncompleteUpload(bucket, key);
  } catch (error) {
    if ((error as { code?: string }).code !== 'NoSuchUpload') throw error;
  }
}
