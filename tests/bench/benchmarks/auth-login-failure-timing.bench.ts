/**
 * A login must not tell by its timing whether an address has an account: single logins with a
 * wrong password for an account against logins for addresses that have none (a different one
 * each time, as someone probing addresses would send), in adjacent pairs (see ../paired-timing.ts).
 * Lockout thresholds are raised for the run, so every attempt gets as far as the 401. Reported
 * as unknown-address attempts per second at their median time and the known-address rate the
 * paired ratio implies; the goal is that they stay within 10% of each other, either way.
 */
import { Agent } from 'node:http';
import { authSettingsSchema, policyFrom } from '@parley/auth-service/settings';
import { openAuthFixture, PASSWORD } from '@parley/auth-service/testing';
import { loadConfig } from '@parley/kit';
import type { Benchmark } from '../harness.ts';
import { postJson } from '../http-post.ts';
import { pairedTiming } from '../paired-timing.ts';

const TOLERANCE = 0.1;

const benchmark: Benchmark = {
  name: 'auth-login-wrong-password-vs-unknown-address',
  goal: `wrong-password attempts within ±${TOLERANCE * 100}% of unknown-address ones (median of paired times)`,
  needsStack: true,
  async run(context) {
    const { lockout } = policyFrom(loadConfig(authSettingsSchema));
    const f = await openAuthFixture({
      lockout: { ...lockout, accountThreshold: 1_000_000, addressThreshold: 1_000_000 },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const known = 'bench-known@example.com';
      await f.register(known);
      const url = `${await f.app.listen({ host: '127.0.0.1', port: 0 })}/v1/tenants/${f.tenant}/login`;
      let probe = 0;
      const attempt = (email: string) => async () => {
        const status = await postJson(agent, url, JSON.stringify({ email, password: `${PASSWORD} wrong` }));
        if (status !== 401) throw new Error(`login answered ${status}`);
      };
      const timing = await pairedTiming(Math.max(30, context.rounds * 20), attempt(known), () =>
        attempt(`bench-probe-${probe++}@example.com`)(),
      );
      // ratio: unknown-address time / wrong-password time, so the known side's rate is unknown rate × ratio.
      const unknownRate = 1000 / timing.bMedianMs;
      return {
        parley: { label: 'login, wrong password', value: unknownRate * timing.ratio, unit: 'attempts/s' },
        reference: { label: 'login, unknown address', value: unknownRate, unit: 'attempts/s' },
        goalMet: Math.abs(timing.ratio - 1) <= TOLERANCE,
        details: {
          pairs: timing.pairs,
          wrongPasswordMedianMs: timing.aMedianMs,
          unknownAddressMedianMs: timing.bMedianMs,
          wrongPasswordP90Ms: timing.aP90Ms,
          unknownAddressP90Ms: timing.bP90Ms,
        },
      };
    } finally {
      agent.destroy();
      await f.close();
    }
  },
};

export default benchmark;
