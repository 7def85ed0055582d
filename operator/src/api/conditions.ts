/**
 * status.conditions the way Kubernetes API conventions (and cert-manager) keep them: one entry per
 * type, lastTransitionTime moves only when the status flips, and every condition records the
 * generation it describes. Pure functions so reconcilers and tests share them.
 */
import type { Condition, ConditionStatus } from './resources.ts';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number,
  now: Date,
): Condition[] {
  const existing = conditions?.find((c) => c.type === input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    observedGeneration: generation,
    lastTransitionTime:
      existing && existing.status === input.status
        ? existing.lastTransitionTime
        : now.toISOString().replace(/\.\d+Z$/, 'Z'),
    reason: input.reason,
    // The API server caps messages at 32768 characters; driver errors can be long.
    message: input.message.slice(0, 4000),
  };
  const others = (conditions ?? []).filter((c) => c.type !== input.type);
  return [...others, next].sort(byType);
}

/** Ready first, then the rest alphabetically: stable output so unchanged status means no write. */
function byType(a: Condition, b: Condition): number {
  if (a.type === 'Ready') return -1;
  if (b.type === 'Ready') return 1;
  return a.type.localeCompare(b.type);
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** Ready summarises the step conditions: True only when every one is, else the first that is not. */
export function summariseReady(steps: readonly ConditionInput[]): ConditionInput {
  const failing = steps.find((s) => s.status !== 'True');
  if (!failing)
    return { type: 'Ready', status: 'True', reason: 'Provisioned', message: 'Every step is ready' };
  const notReady = steps.filter((s) => s.status !== 'True').map((s) => s.type);
  return {
    type: 'Ready',
    status: failing.status === 'Unknown' ? 'Unknown' : 'False',
    reason: failing.reason,
    message: `Not ready: ${notReady.join(', ')}. ${failing.type}: ${failing.message}`,
  };
}
