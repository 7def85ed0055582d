import { createSilentLogger } from '@parley/kit/testing';
import { describe, expect, it } from 'vitest';
import { runPhases, stepDependencies } from './run-phases.ts';
import { needing, type StepOutcome, type TenantStep, type TenantStepContext } from './step.ts';

/** A step the test finishes by hand; it records when it started. */
function manualStep(name: string, log: string[], status: StepOutcome['status'] = 'True') {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const step: TenantStep = {
    name,
    async apply() {
      log.push(`start ${name}`);
      await done;
      return { status, reason: 'Test', message: name };
    },
  };
  return { step, finish };
}

function context(): TenantStepContext & { earlier: Map<string, StepOutcome> } {
  return {
    desired: { id: 'acme' },
    earlier: new Map(),
    facts: {},
    event: () => {},
  } as unknown as TenantStepContext & { earlier: Map<string, StepOutcome> };
}

const options = { stepTimeoutMs: 10_000, logger: createSilentLogger() };
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('runPhases', () => {
  it('starts a step that names what it needs as soon as those are done, not its whole phase', async () => {
    const log: string[] = [];
    const registry = manualStep('Registry', log);
    const mongo = manualStep('Mongo', log);
    const search = manualStep('SearchIndex', log);
    const credentials = manualStep('Credentials', log);
    const runtime = manualStep('Runtime', log);
    const running = runPhases(
      [[registry.step], [mongo.step, search.step], [needing(['Mongo'], credentials.step)], [runtime.step]],
      context(),
      options,
    );
    registry.finish();
    await settle();
    mongo.finish();
    await settle();
    expect(log).toContain('start Credentials'); // the search index is still running
    expect(log).not.toContain('start Runtime');
    credentials.finish();
    await settle();
    expect(log).not.toContain('start Runtime'); // Runtime needs every earlier step
    search.finish();
    await settle();
    runtime.finish();
    const outcomes = await running;
    // Conditions keep the declared order, whatever order the steps finished in.
    expect([...outcomes.keys()]).toEqual(['Registry', 'Mongo', 'SearchIndex', 'Credentials', 'Runtime']);
  });

  it('blocks every later step when the gate fails, including those that name other needs', async () => {
    const log: string[] = [];
    const registry = manualStep('Registry', log, 'False');
    const mongo = manualStep('Mongo', log);
    const credentials = manualStep('Credentials', log);
    const running = runPhases(
      [[registry.step], [mongo.step], [needing(['Mongo'], credentials.step)]],
      context(),
      options,
    );
    registry.finish();
    const outcomes = await running;
    expect(log).toEqual(['start Registry']);
    expect(outcomes.get('Credentials')).toMatchObject({ status: 'Unknown', reason: 'Blocked' });
  });

  it('refuses a step that needs one no earlier phase runs', () => {
    const log: string[] = [];
    expect(() =>
      stepDependencies([[manualStep('Registry', log).step], [needing(['Mongo'], manualStep('X', log).step)]]),
    ).toThrow(/needs Mongo/);
  });
});
