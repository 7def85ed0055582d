import { describe, expect, it } from 'vitest';
import { PeriodicTask } from './periodic-task.ts';
import { createCapturingLogger } from './testing/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PeriodicTask', () => {
  it('repeats, never runs two passes at once, survives a failed pass, and drains on stop', async () => {
    const { logger, lines } = createCapturingLogger();
    let running = 0;
    let overlapped = false;
    let passes = 0;
    let finished = 0;
    const task = new PeriodicTask({
      name: 'test-sweeper',
      intervalMs: 5,
      logger,
      run: async () => {
        passes += 1;
        running += 1;
        if (running > 1) overlapped = true;
        await sleep(20); // longer than the interval
        running -= 1;
        if (passes === 2) throw new Error('the store is away');
        finished += 1;
        return passes;
      },
    });
    task.start();
    while (passes < 4) await sleep(5);
    await task.stop();
    expect(overlapped).toBe(false);
    // stop() waited for the pass in flight, and no pass starts after it.
    expect(running).toBe(0);
    const after = passes;
    await sleep(30);
    expect(passes).toBe(after);
    expect(finished).toBe(passes - 1);
    expect(lines().some((l) => l.msg === 'test-sweeper: pass failed; will retry')).toBe(true);
  });

  it('runNow shares the pass in flight', async () => {
    const { logger } = createCapturingLogger();
    let passes = 0;
    const task = new PeriodicTask({
      name: 'shared',
      intervalMs: 60_000,
      logger,
      run: async () => {
        passes += 1;
        await sleep(10);
        return passes;
      },
    });
    const [a, b] = await Promise.all([task.runNow(), task.runNow()]);
    expect([a, b, passes]).toEqual([1, 1, 1]);
    expect(await task.runNow()).toBe(2);
    await task.stop();
  });
});
