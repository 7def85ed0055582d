/**
 * When a key rotates, as a pure function of the schedule, the key's state and the clock.
 * Each due rotation is named by its slot ("period:<due time>" or "cron:<tick>"), and the keyring
 * rotates at most once per request key, so a slot rotates once however often (and by however
 * many replicas) it is reconciled. A force-rotate annotation value is its own slot.
 */
import { latestCronTick, nextCronTick, parseGoDuration } from '../schedule/schedule-times.ts';

export interface RotationInputs {
  period?: string;
  cron?: string;
  /** When the key's current version was made (the last rotation, or the key's creation). */
  currentVersionCreatedAt: Date;
  /** The parley.dev/force-rotate annotation, and the value already acted on. */
  forceValue?: string;
  lastForceValue?: string;
  now: Date;
}

export interface RotationPlan {
  /** The request key to rotate with now, or undefined when nothing is due. */
  slot?: string;
  forced: boolean;
  nextRotation?: Date;
}

export function planRotation(input: RotationInputs): RotationPlan {
  const { now } = input;
  if (input.forceValue && input.forceValue !== input.lastForceValue) {
    return { slot: `force:${input.forceValue}`, forced: true, ...nextAfterRotation(input, now) };
  }
  if (input.period) {
    const due = new Date(input.currentVersionCreatedAt.getTime() + parseGoDuration(input.period));
    if (due <= now)
      return { slot: `period:${due.toISOString()}`, forced: false, ...nextAfterRotation(input, now) };
    return { forced: false, nextRotation: due };
  }
  if (input.cron) {
    const tick = latestCronTick(input.cron, now);
    if (tick && tick > input.currentVersionCreatedAt) {
      return { slot: `cron:${tick.toISOString()}`, forced: false, ...nextAfterRotation(input, now) };
    }
    const next = nextCronTick(input.cron, now);
    return { forced: false, ...(next ? { nextRotation: next } : {}) };
  }
  return { forced: false };
}

/** The next rotation if the key rotates now. */
function nextAfterRotation(input: RotationInputs, now: Date): { nextRotation?: Date } {
  if (input.period) return { nextRotation: new Date(now.getTime() + parseGoDuration(input.period)) };
  if (input.cron) {
    const next = nextCronTick(input.cron, now);
    return next ? { nextRotation: next } : {};
  }
  return {};
}

/**
 * The lowest version that may still decrypt: the spec's minimum, raised so that only the last
 * `versionsKept` versions remain usable; never above the primary, never below what it already is.
 */
export function targetMinDecryptionVersion(
  primaryVersion: number,
  currentMinimum: number,
  versionsKept: number,
  specMinimum: number | undefined,
): number {
  const byKept = primaryVersion - versionsKept + 1;
  return Math.min(primaryVersion, Math.max(currentMinimum, byKept, specMinimum ?? 1, 1));
}
