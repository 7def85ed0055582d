/**
 * Open sign-up must not tell by its timing whether an address has an account: the time of a
 * sign-up for an address that has one (the service writes a notice) against one for a new
 * address (a pending registration and a link), one request at a time as someone probing
 * addresses would send them, alternating the two so the machine's load hits both alike.
 * The two requests of a pair run back to back, so they meet the same load; the ratio is the median
 * over pairs of (new-address time / known-address time), which a burst of the team's load on these
 * shared cores moves far less than either side's own median. Reported as new-address sign-ups per
 * second (its median time) and the known-address rate that ratio implies; the goal is that they
 * stay within 10% of each other, either way.
 */
import { Agent } from 'node:http';
import { openAuthFixture, PASSWORD } from '@parley/auth-service/src/testing/auth-fixture.ts';
import type { Benchmark } from '../harness.ts';
import { median, percentile } from '../harness.ts';
import { postJson } from '../http-post.ts';

const TOLERANCE = 0.1;

const benchmark: Benchmark = {
  name: 'auth-sign-up-known-vs-new-address',
  goal: `known-address sign-ups within ±${TOLERANCE * 100}% of new-address ones (median of paired times)`,
  needsStack: true,
  async run(context) {
    const f = await openAuthFixture();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const known = 'bench-known@example.com';
      await f.register(known);
      const c = await f.components.store.forTenant(f.tenant);
      await c.settings.updateOne({ _id: 'auth' }, { $set: { openSignUp: true } }, { upsert: true });
      const url = `${await f.app.listen({ host: '127.0.0.1', port: 0 })}/tenants/${f.tenant}/sign-up`;
      const password = `${PASSWORD} 2`;
      let fresh = 0;
      const timed = async (email: string): Promise<number> => {
        const started = performance.now();
        const status = await postJson(agent, url, JSON.stringify({ email, password, displayName: 'Bench' }));
        if (status !== 202) throw new Error(`sign-up answered ${status}`);
        return performance.now() - started;
      };
      const knownTimes: number[] = [];
      const newTimes: number[] = [];
      const pairs = Math.max(30, context.rounds * 20);
      for (let warmup = 0; warmup < 3; warmup++) {
        await timed(known);
        await timed(`bench-new-${fresh++}@example.com`);
      }
      for (let pair = 0; pair < pairs; pair++) {
        // Which side goes first alternates too: neither always follows the other's write.
        if (pair % 2 === 0) {
          knownTimes.push(await timed(known));
          newTimes.push(await timed(`bench-new-${fresh++}@example.com`));
        } else {
          newTimes.push(await timed(`bench-new-${fresh++}@example.com`));
          knownTimes.push(await timed(known));
        }
      }
      const knownMedian = median(knownTimes);
      const newMedian = median(newTimes);
      const ratio = median(newTimes.map((time, pair) => time / (knownTimes[pair] as number)));
      const newRate = 1000 / newMedian;
      return {
        parley: { label: 'sign-up, address with an account', value: newRate * ratio, unit: 'sign-ups/s' },
        reference: { label: 'sign-up, new address', value: newRate, unit: 'sign-ups/s' },
        goalMet: Math.abs(ratio - 1) <= TOLERANCE,
        details: {
          pairs,
          knownMedianMs: Number(knownMedian.toFixed(1)),
          newMedianMs: Number(newMedian.toFixed(1)),
          knownP90Ms: Number(percentile(knownTimes, 90).toFixed(1)),
          newP90Ms: Number(percentile(newTimes, 90).toFixed(1)),
        },
      };
    } finally {
      agent.destroy();
      await f.close();
    }
  },
};

export default benchmark;
