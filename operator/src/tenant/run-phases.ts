/**
 * Runs a Tenant's provisioning phases: phases in order, the steps of a phase concurrently, each
 * step bounded by a timeout and turned into an outcome (a throw becomes a False condition with
 * the store's reason). A failed gate step (Registry) blocks everything after it. Shared by the
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

/** Fills `context.earlier` (the outcomes by step) as it goes and returns it. */
export async function runPhases(
  phases: TenantStep[][],
  context: TenantStepContext & { earlier: Map<string, StepOutcome> },
  options: RunPhasesOptions,
): Promise<Map<string, StepOutcome>> {
  const outcomes = context.earlier;
  let gate: string | undefined;
  for (const phase of phases) {
    const results = await Promise.all(
      phase.map(async (step): Promise<[string, StepOutcome]> => {
        if (gate)
          return [step.name, { status: 'Unknown', reason: 'Blocked', message: `waiting for ${gate}` }];
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
        return [step.name, outcome];
      }),
    );
    for (const [name, outcome] of results) {
      outcomes.set(name, outcome);
      if (outcome.status !== 'True' && GATE_STEPS.has(name)) gate = name;
    }
  }
  return outcomes;
}
