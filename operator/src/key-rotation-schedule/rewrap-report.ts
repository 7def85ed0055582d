/**
 * What a KeyRotationSchedule says about its background rewrap, as pure functions of the rewrap's
 * progress (packages/keyring's RewrapProgress): the `status.rewrap` summary, the `Rewrap`
 * condition, when to look again, and how far the minimum decryption version may safely rise.
 */
import type { RewrapProgress } from '@parley/keyring';
import type { ConditionInput } from '../api/conditions.ts';
import type { KeyRotationScheduleStatus } from '../api/resources.ts';

// No time of the next pass in status (it is in the condition's message): a JSON merge patch
// cannot drop a key it leaves out, so a field that comes and goes would linger.
type RewrapStatus = NonNullable<KeyRotationScheduleStatus['rewrap']>;
const nextPass = (progress: RewrapProgress) =>
  progress.nextPassAt ? isoSeconds(progress.nextPassAt) : undefined;

/** While a pass runs, the next batch follows after this pause (other schedules get their turn). */
export const RUNNING_REQUEUE_MS = 1_000;

export function rewrapStatus(progress: RewrapProgress): RewrapStatus {
  const fields = progress.fields.map((f) => ({
    id: f.id,
    total: f.total,
    examined: f.examined,
    rewrapped: f.rewrapped,
    remaining: Math.max(0, f.total - f.examined),
    conflicts: f.conflicts,
    failed: f.failed,
  }));
  const sum = (pick: (f: (typeof fields)[number]) => number) => fields.reduce((n, f) => n + pick(f), 0);
  return {
    state: progress.state,
    targetVersion: progress.targetVersion,
    ...(progress.completedVersion !== undefined ? { completedVersion: progress.completedVersion } : {}),
    pass: progress.pass,
    rewrapped: progress.rewrappedForTarget,
    total: sum((f) => f.total),
    remaining: sum((f) => f.remaining),
    failed: sum((f) => f.failed),
    fields,
  };
}

export function rewrapCondition(progress: RewrapProgress, keyName: string): ConditionInput {
  const status = rewrapStatus(progress);
  const target = progress.targetVersion;
  switch (progress.state) {
    case 'Done':
      return {
        type: 'Rewrap',
        status: 'True',
        reason: 'Complete',
        message: `every registered ciphertext of key ${keyName} is at version ${progress.completedVersion ?? target} or later (${status.rewrapped} re-wrapped, ${status.total} examined in the last pass)`,
      };
    case 'Running':
      return {
        type: 'Rewrap',
        status: 'False',
        reason: 'Progressing',
        message: `pass ${progress.pass} to version ${target}: ${status.rewrapped} re-wrapped, ${status.remaining} of ${status.total} ciphertexts left to examine`,
      };
    case 'Waiting': {
      const conflicts = progress.fields.reduce((n, f) => n + f.conflicts, 0);
      const why =
        conflicts > 0
          ? `${conflicts} ciphertexts were rewritten below version ${target} by concurrent writers`
          : `writers' key caches may still seal under an older version until ${isoSeconds(progress.settledAt)}`;
      return {
        type: 'Rewrap',
        status: 'False',
        reason: 'Verifying',
        message: `pass ${progress.pass} to version ${target} re-wrapped ${status.rewrapped}; ${why}, so pass ${progress.pass + 1} checks again at ${nextPass(progress) ?? 'once'}`,
      };
    }
    case 'Failed': {
      const examples = progress.failures
        .slice(0, 3)
        .map((f) => `${f.field} ${f.id}: ${f.code}`)
        .join('; ');
      return {
        type: 'Rewrap',
        status: 'False',
        reason: 'RewrapFailed',
        message: `${status.failed} ciphertexts could not be re-wrapped to version ${target} (${examples}); older versions stay able to decrypt; next pass at ${nextPass(progress) ?? 'the next reconcile'}`,
      };
    }
  }
}

/** When the rewrap wants the schedule reconciled again (undefined when it is done). */
export function rewrapRequeueMs(progress: RewrapProgress, now: Date): number | undefined {
  if (progress.state === 'Running') return RUNNING_REQUEUE_MS;
  if (progress.state === 'Done' || !progress.nextPassAt) return undefined;
  return Math.max(RUNNING_REQUEUE_MS, progress.nextPassAt.getTime() - now.getTime());
}

/**
 * The minimum decryption version to apply: what the schedule asks for (`desired`), but never
 * above the version every stored ciphertext is known to have reached (`completedVersion` of the
 * last clean rewrap pass), since a retired version makes whatever is still sealed under it
 * unreadable. Unknown completion means no raise at all. Never lowers the current minimum.
 */
export function minimumAllowedByRewrap(
  desired: number,
  currentMinimum: number,
  completedVersion: number | undefined,
): number {
  const ceiling = completedVersion ?? currentMinimum;
  return Math.max(currentMinimum, Math.min(desired, ceiling));
}

function isoSeconds(date: Date): string {
  return new Date(date).toISOString().replace(/\.\d+Z$/, 'Z');
}
