/**
 * Removes finished uploads that no message took within MEDIA_UNATTACHED_TTL_MS: a client that
 * uploaded and never sent (a closed tab, a cancelled draft) would otherwise hold the tenant's
 * storage quota for ever. Each record is claimed first (`expiring`, store/media-records.ts), so a
 * send binding it at the same moment is refused (422) instead of carrying a file about to go; then
 * the object, the record and the usage go as for any deletion (domain/deletions.ts).
 */
import { type Logger, PeriodicTask } from '@parley/kit';
import type { Deletions } from '../domain/deletions.ts';
import type { MediaRecords } from '../store/media-records.ts';

export function unattachedUploadsSweeper(options: {
  records: MediaRecords;
  deletions: Deletions;
  tenants: () => Promise<string[]>;
  ttlMs: number;
  intervalMs: number;
  logger: Logger;
}): PeriodicTask<number> {
  return new PeriodicTask<number>({
    name: 'media.unattached-uploads',
    intervalMs: options.intervalMs,
    logger: options.logger,
    run: async () => {
      let removed = 0;
      for (const tenant of await options.tenants()) {
        const before = new Date(Date.now() - options.ttlMs);
        for (const record of await options.records.claimUnattached(tenant, before)) {
          await options.deletions.remove(tenant, record);
          removed += 1;
        }
      }
      return removed;
    },
    onResult: (removed, logger) => {
      if (removed > 0) logger.info({ removed }, 'uploads never attached removed');
    },
  });
}
