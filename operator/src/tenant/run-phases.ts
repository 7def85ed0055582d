/**
 * Runs a Tenant's provisioning steps as a dependency graph laid out in phases: a step starts when
 * the steps it needs are done - by default every step of the earlier phases, or only those it
 * names in `after` (the Secret needs the Mongo and SearchIndex steps' facts, not the bucket) - so a tenant
 * waits for its slowest chain of stores, not for the slowest store of every phase. Each step is
 * bounded by a timeout and turned into an outcome (a throw becomes a False condition with the
 * store's reason). A failed gate step (Registry) blocks everything after it. Shared by the
 * reconciler and by local provisioning without a cluster, so both take the same code path.
 */
import type { Logger } from '@parley/kit';
import type { StepOutcome, TenantStep, TenantStepContext } from './step.ts';
import { stepFailure, withTimeout } from './step-failure.ts';

/** Steps after which nothing else may run when they fail (the tenant id is not ours). */
const GATE_STEPS = new Set(['Registry']);

export interface RunPhasesOptions {
  stepTimeoutMs: number;
  logger: Logger;
  observeStep?: (step: string, status: string, seconds: number) => void;
}

/** What each step waits for: the gates and the steps it names, or every earlier step. */
export function stepDependencies(phases: TenantStep[][]): Map<string, string[]> {
  const dependencies = new Map<string, string[]>();
  const earlier: string[] = [];
  for (const phase of phases) {
    for (const step of phase) {
      if (step.after) {
        const unknown = step.after.filter((name) => !earlier.includes(name));
        if (unknown.length > 0)
          throw new Error(`step ${step.name} needs ${unknown.join(', ')}, which no earlier phase runs`);
      }
      const gates = earlier.filter((name) => GATE_STEPS.has(name));
      dependencies.set(step.name, step.after ? [...new Set([...gates, ...step.after])] : [...earlier]);
    }
    earlier.push(...phase.map((step) => step.name));
  }
  return dependencies;
}

/** Fills `context.earlier` (the outcomes by step, in declaration order) and returns it. */
export async function runPhases(
  phases: TenantStep[][],
  context: TenantStepContext & { earlier: Map<string, StepOutcome> },
  options: RunPhasesOptions,
): Promise<Map<string, StepOutcome>> {
  const outcomes = context.earlier;
  const dependencies = stepDependencies(phases);
  const running = new Map<string, Promise<StepOutcome>>();
  const run = async (step: TenantStep): Promise<StepOutcome> => {
    const needed = dependencies.get(step.name) ?? [];
    await Promise.all(needed.map((name) => running.get(name)));
    const failedGate = needed.find((name) => GATE_STEPS.has(name) && outcomes.get(name)?.status !== 'True');
    if (failedGate) return { status: 'Unknown', reason: 'Blocked', message: `waiting for ${failedGate}` };
    const started = performance.now();
    let outcome: StepOutcome;
    try {
      outcome = await withTimeout(step.name, options.stepTimeoutMs, step.apply(context));
    } catch (error) {
      outcome = stepFailure(step.name, error);
      options.logger.warn(
        { tenant: context.desired.id, step: step.name, reason: outcome.reason, err: error },
        'step failed',
      );
    }
    options.observeStep?.(step.name, outcome.status, (performance.now() - started) / 1000);
    return outcome;
  };
  const steps = phases.flat();
  for (const step of steps) {
    running.set(
      step.name,
      run(step).then((outcome) => {
        outcomes.set(step.name, outcome); // visible to the steps that wait for it
        return outcome;
      }),
    );
  }
  const settled = await Promise.all(steps.map((step) => running.get(step.name) as Promise<StepOutcome>));
  // Conditions, and "the first failing step" in Ready's message, follow the declared order.
  outcomes.clear();
  for (const [i, step] of steps.entries()) outcomes.set(step.name, settled[i] as StepOutcome);
  return outcomes;
}
