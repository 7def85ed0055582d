/**
 * GdprParticipation: a participant whose registration fails (compliance down) is retried in the
 * background without failing the service's start, and stop ends the retries and the participant.
 */
import { createSilentLogger } from '@parley/kit/testing';
import { describe, expect, it } from 'vitest';
import { GdprParticipation } from './gdpr-participation.ts';

function flakyParticipant(failures: number) {
  const calls = { starts: 0, stops: 0 };
  return {
    calls,
    participant: {
      name: 'gdpr participant test',
      async start() {
        calls.starts++;
        if (calls.starts <= failures) throw new Error('compliance unreachable');
      },
      async stop() {
        calls.stops++;
      },
    },
  };
}

describe('GdprParticipation', () => {
  it('starts at once and keeps retrying registration until it succeeds', async () => {
    const { calls, participant } = flakyParticipant(2);
    const worker = new GdprParticipation(participant, createSilentLogger(), 10);
    expect(worker.start()).toBeUndefined();
    await worker.started();
    expect(calls.starts).toBe(3);
    // Each failed attempt is stopped again before the next, so no half-started consumer lingers.
    expect(calls.stops).toBe(2);
    await worker.stop();
    expect(calls.stops).toBe(3);
  });

  it('stops while still retrying, without another attempt', async () => {
    const { calls, participant } = flakyParticipant(1_000);
    const worker = new GdprParticipation(participant, createSilentLogger(), 60_000);
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await worker.stop();
    expect(calls.starts).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.starts).toBe(1);
  });
});
