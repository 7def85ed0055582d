/**
 * Logins per second through the auth service (HTTP, argon2id verify, session in Mongo and Redis,
 * audit record in the outbox, EdDSA-signed access token) against raw argon2id verifications at
 * the same parameters and the same concurrency: what everything around the hash costs a login.
 * Both sides keep the same number of operations in flight, more than libuv has threads (argon2
 * runs there), so both saturate the hashing threads.
 */
import { PasswordHasher } from '@parley/auth-service/src/domain/password-hasher.ts';
import { openAuthFixture, PASSWORD } from '@parley/auth-service/src/testing/auth-fixture.ts';
import type { BenchContext, Benchmark } from '../harness.ts';

// Twice libuv's four threads on both sides: the hashes saturate the pool either way, and a login's
// database and Redis waits overlap with other logins' hashing, as they do in a busy server.
const IN_FLIGHT = 8;

/** Runs `operation` with IN_FLIGHT in flight for about `durationMs`; returns operations and the exact time they took. */
async function slice(
  durationMs: number,
  operation: () => Promise<void>,
): Promise<{ ops: number; ms: number }> {
  const started = performance.now();
  const deadline = started + durationMs;
  let ops = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        await operation();
        ops++;
      }
    }),
  );
  return { ops, ms: performance.now() - started };
}

/**
 * A login takes ~100 ms of argon2id, so a round holds few of them and a rate per round is coarse.
 * Instead short slices of the two sides alternate (P R P R ...) and each side's rate is its total
 * operations over its total time: background load hits both alike, and no rounding per round.
 */
async function pairedRates(
  context: BenchContext,
  parley: () => Promise<void>,
  reference: () => Promise<void>,
): Promise<{ parley: number; reference: number; pairs: number }> {
  const sliceMs = Math.max(500, Math.round(context.roundMs * 0.6));
  const pairs = Math.max(2, context.rounds * 2);
  await slice(sliceMs, parley);
  await slice(sliceMs, reference);
  const totals = { parley: { ops: 0, ms: 0 }, reference: { ops: 0, ms: 0 } };
  for (let pair = 0; pair < pairs; pair++) {
    for (const [side, operation] of [
      ['parley', parley],
      ['reference', reference],
    ] as const) {
      const { ops, ms } = await slice(sliceMs, operation);
      totals[side].ops += ops;
      totals[side].ms += ms;
    }
  }
  return {
    parley: totals.parley.ops / (totals.parley.ms / 1000),
    reference: totals.reference.ops / (totals.reference.ms / 1000),
    pairs,
  };
}

const benchmark: Benchmark = {
  name: 'auth-login-vs-raw-argon2id',
  goal: '>= 0.9 x raw argon2id verifications (logins/s)',
  minRatio: 0.9,
  needsStack: true,
  async run(context) {
    const f = await openAuthFixture();
    try {
      const email = 'bench-login@example.com';
      await f.register(email);
      const url = `${await f.app.listen({ host: '127.0.0.1', port: 0 })}/tenants/${f.tenant}/login`;
      const body = JSON.stringify({ email, password: PASSWORD });
      const hasher = new PasswordHasher(f.policy.argon2);
      const phc = await hasher.hash(PASSWORD);
      const login = async () => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (response.status !== 200) throw new Error(`login answered ${response.status}`);
        await response.arrayBuffer();
      };
      const verify = async () => {
        if (!(await hasher.verify(phc, PASSWORD))) throw new Error('verify failed');
      };
      const rates = await pairedRates(context, login, verify);
      return {
        parley: { label: 'POST /tenants/:t/login', value: rates.parley, unit: 'logins/s' },
        reference: {
          label: 'crypto.argon2 verify (m=19456,t=2,p=1)',
          value: rates.reference,
          unit: 'verifies/s',
        },
        details: { inFlight: IN_FLIGHT, pairs: rates.pairs },
      };
    } finally {
      await f.close();
    }
  },
};

export default benchmark;
