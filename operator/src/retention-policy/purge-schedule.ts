/**
 * When a RetentionPolicy's purge is due: at each cron tick after the last run (a run missed while
 * the operator was down happens at the next reconcile, once). A new policy waits for its first
 * tick rather than purging the moment it is applied.
 */
import { latestCronTick, nextCronTick } from '../schedule/schedule-times.ts';

export interface PurgeDue {
  due: boolean;
  /** The tick this run belongs to (when due). */
  tick?: Date;
  nextRun?: Date;
}

export function purgeDue(schedule: string, lastRun: Date | undefined, createdAt: Date, now: Date): PurgeDue {
  const tick = latestCronTick(schedule, now);
  const since = lastRun ?? createdAt;
  const next = nextCronTick(schedule, now);
  if (tick && tick > since) return { due: true, tick, ...(next ? { nextRun: next } : {}) };
  return { due: false, ...(next ? { nextRun: next } : {}) };
}
