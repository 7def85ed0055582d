/**
 * Purge runs. A run walks each rule's expired items in batches, re-reads the legal holds before
 * every batch (so a hold placed mid-run applies at once), deletes only what no hold covers, and
 * pauses between batches so a large purge does not starve live traffic. planPurge is the same
 * walk without deleting: the dry run.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HoldSet } from './legal-hold.ts';
import { type RetentionPolicy, selectionsAt } from './policy.ts';
import type { PurgeCursor, PurgeTargets } from './purge-target.ts';
import { emptyCounts, type ResourceCounts, type RetentionRun } from './retention-run.ts';

export interface PurgeOptions {
  tenant: string;
  targets: PurgeTargets;
  /** Reads the tenant's active holds; called before every batch. */
  holds: () => Promise<HoldSet>;
  now?: Date;
  /** Items per batch (default 500). */
  batchSize?: number;
  /** Pause between batches in ms (default 20): the price a purge pays to leave room for live work. */
  pauseMs?: number;
  /** Stop after examining this many items per rule (default unlimited). */
  maxItemsPerRule?: number;
  /** Sample ids kept per resource in a dry run (default 20). */
  sampleSize?: number;
  signal?: AbortSignal;
  /** Called with the finished run: store it (RetentionRunStore.record) and audit it. */
  onFinished?: (run: RetentionRun) => Promise<void>;
}

/** The dry run: what runPurge would delete now, and what holds would keep. Deletes nothing. */
export function planPurge(policy: RetentionPolicy, options: PurgeOptions): Promise<RetentionRun> {
  return walk(policy, options, true);
}

/** Deletes what the policy says is expired, honouring holds; a dry-run policy only plans. */
export function runPurge(policy: RetentionPolicy, options: PurgeOptions): Promise<RetentionRun> {
  return walk(policy, options, policy.dryRun);
}

async function walk(policy: RetentionPolicy, options: PurgeOptions, dryRun: boolean): Promise<RetentionRun> {
  const started = new Date();
  const now = options.now ?? started;
  const batchSize = options.batchSize ?? 500;
  const pauseMs = options.pauseMs ?? 20;
  const sampleSize = options.sampleSize ?? 20;
  const limit = options.maxItemsPerRule ?? Number.POSITIVE_INFINITY;
  const run: RetentionRun = {
    id: randomUUID(),
    tenant: options.tenant,
    policy: policy.name,
    dryRun,
    status: 'succeeded',
    startedAt: started.toISOString(),
    finishedAt: '',
    durationMs: 0,
    counts: {},
    holdsApplied: [],
    unsupportedResources: [],
    sample: {},
    errors: [],
  };
  const holdsApplied = new Set<string>();
  let failedRules = 0;
  const selections = selectionsAt(policy, now);

  for (const selection of selections) {
    if (options.signal?.aborted) {
      run.status = 'aborted';
      break;
    }
    const target = options.targets[selection.resource];
    if (!target) {
      if (!run.unsupportedResources.includes(selection.resource))
        run.unsupportedResources.push(selection.resource);
      continue;
    }
    const counts: ResourceCounts = run.counts[selection.resource] ?? emptyCounts();
    run.counts[selection.resource] = counts;
    let cursor: PurgeCursor | undefined;
    let examined = 0;
    try {
      while (examined < limit) {
        if (options.signal?.aborted) {
          run.status = 'aborted';
          break;
        }
        const holds = await options.holds();
        const page = await target.listExpired({
          before: selection.before,
          conversationIds: selection.conversationIds,
          excludeConversationIds: selection.excludeConversationIds,
          after: cursor,
          limit: Math.min(batchSize, limit - examined),
        });
        if (page.length === 0) break;
        examined += page.length;
        counts.examined += page.length;
        const free = page.filter((item) => {
          const covering = holds.covering(item);
          for (const hold of covering) holdsApplied.add(hold.id);
          return covering.length === 0;
        });
        counts.skippedHeld += page.length - free.length;
        if (dryRun) {
          counts.wouldDelete += free.length;
          const sample = run.sample[selection.resource] ?? [];
          run.sample[selection.resource] = sample;
          for (const item of free) if (sample.length < sampleSize) sample.push(item.id);
        } else {
          counts.deleted += await target.delete(free, selection.before);
        }
        const last = page[page.length - 1];
        if (last) cursor = { createdAt: last.createdAt, id: last.id, ref: last.ref };
        if (page.length < batchSize) break;
        if (pauseMs > 0) await sleep(pauseMs);
      }
    } catch (error) {
      failedRules += 1;
      run.errors.push({
        resource: selection.resource,
        message: error instanceof Error ? error.message : String(error),
      });
    }
    if (run.status === 'aborted') break;
  }

  if (run.status !== 'aborted' && failedRules > 0) {
    run.status = failedRules === selections.length ? 'failed' : 'partial';
  }
  run.holdsApplied = [...holdsApplied];
  const finished = new Date();
  run.finishedAt = finished.toISOString();
  run.durationMs = finished.getTime() - started.getTime();
  await options.onFinished?.(run);
  return run;
}
