/**
 * Open sign-up must not tell by its timing whether an address has an account: single sign-ups
 * for an address that has one (the service writes a notice) against sign-ups for new addresses
 * (a pending registration and a link), in adjacent pairs (see ../paired-timing.ts). Reported as
 * new-address sign-ups per second at their median time and the known-address rate the paired
 * ratio implies; the goal is that they stay within 10% of each other, either way.
 */
import { Agent } from 'node:http';
import { openAuthFixture, PASSWORD } from '@parley/auth-service/testing';
import type { Benchmark } from '../harness.ts';
import { postJson } from '../http-post.ts';
import { pairedTiming } from '../paired-timing.ts';

const TOLERANCE = 0.1;

const benchmark: Benchmark = {
  name: 'auth-sign-up-known-vs-new-address',
  goal: `known-address sign-ups within ±${TOLERANCE * 100}% of new-address ones (median of paired times)`,
  needsStack: true,
  async run(context) {
    // Every request comes from one address and half name one e-mail: lift open sign-up's caps,
    // which would otherwise answer 429 after a few (app-sign-up-limits.test.ts covers them).
    const unlimited = {
      accountThreshold: 1e9,
      addressThreshold: 1e9,
      baseSeconds: 1,
      maxSeconds: 1,
      windowSeconds: 60,
    };
    const f = await openAuthFixture({ signUpLimits: unlimited });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const known = 'bench-known@example.com';
      await f.register(known);
      const c = await f.components.store.forTenant(f.tenant);
      await c.settings.updateOne({ _id: 'auth' }, { $set: { openSignUp: true } }, { upsert: true });
      const url = `${await f.app.listen({ host: '127.0.0.1', port: 0 })}/v1/tenants/${f.tenant}/sign-up`;
      const password = `${PASSWORD} 2`;
      let fresh = 0;
      const signUp = (email: string) => async () => {
        const status = await postJson(agent, url, JSON.stringify({ email, password, displayName: 'Bench' }));
        if (status !== 202) throw new Error(`sign-up answered ${status}`);
      };
      const timing = await pairedTiming(Math.max(30, context.rounds * 20), signUp(known), () =>
        signUp(`bench-new-${fresh++}@example.com`)(),
      );
      // ratio: new-address time / known-address time, so the known side's rate is new rate × ratio.
      const newRate = 1000 / timing.bMedianMs;
      return {
        parley: {
          label: 'sign-up, address with an account',
          value: newRate * timing.ratio,
          unit: 'sign-ups/s',
        },
        reference: { label: 'sign-up, new address', value: newRate, unit: 'sign-ups/s' },
        goalMet: Math.abs(timing.ratio - 1) <= TOLERANCE,
        details: {
          pairs: timing.pairs,
          knownMedianMs: timing.aMedianMs,
          newMedianMs: timing.bMedianMs,
          knownP90Ms: timing.aP90Ms,
          newP90Ms: timing.bP90Ms,
        },
      };
    } finally {
      agent.destroy();
      await f.close();
    }
  },
};

export default benchmark;
