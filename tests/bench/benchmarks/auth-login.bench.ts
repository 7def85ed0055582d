/**
 * Logins per second through the auth service (HTTP, argon2id verify, session in Mongo and Redis,
 * audit record in the outbox, EdDSA-signed access token) against raw argon2id verifications at
 * the same parameters and the same concurrency: what everything around the hash costs a login.
 * Both sides keep the same number of operations in flight, more than libuv has threads (argon2
 * runs there), so both saturate the hashing threads.
 */
import { Agent } from 'node:http';
import {
  type Argon2Parameters,
  OWASP_MINIMUM,
  PasswordHasher,
} from '@parley/auth-service/domain/password-hasher';
import { openAuthFixture, PASSWORD } from '@parley/auth-service/testing';
import { type BenchContext, type Benchmark, runPair } from '../harness.ts';
import { postJson } from '../http-post.ts';

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
 * Instead short slices of the two sides alternate, and so does the first of a pair (P R, R P ...).
 * These two cores are shared with the whole team, whose load comes in bursts of seconds; a burst
 * mostly hits one pair, so pairs are ranked by how fast both sides ran (each side's rate over its
 * median) and only the quieter half is kept, both sides of the same pairs: the comparison stays
 * fair. Each side's rate is its total operations over its total time in the kept pairs.
 */
async function pairedRates(
  context: BenchContext,
  parley: () => Promise<void>,
  reference: () => Promise<void>,
): Promise<{ parley: number; reference: number; pairs: number; kept: number }> {
  const sliceMs = Math.max(500, Math.round(context.roundMs * 0.5));
  const pairs = Math.max(4, context.rounds * 3);
  await slice(sliceMs, parley);
  await slice(sliceMs, reference);
  const measured: { parley: { ops: number; ms: number }; reference: { ops: number; ms: number } }[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const [p, r] = await runPair(
      pair,
      () => slice(sliceMs, parley),
      () => slice(sliceMs, reference),
    );
    measured.push({ parley: p, reference: r });
  }
  const rate = (side: { ops: number; ms: number }) => side.ops / side.ms;
  const middle = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 1;
  const parleyMedian = middle(measured.map((m) => rate(m.parley)));
  const referenceMedian = middle(measured.map((m) => rate(m.reference)));
  const quiet = [...measured]
    .sort(
      (a, b) =>
        rate(b.parley) / parleyMedian +
        rate(b.reference) / referenceMedian -
        (rate(a.parley) / parleyMedian + rate(a.reference) / referenceMedian),
    )
    .slice(0, Math.ceil(pairs / 2));
  const total = (side: 'parley' | 'reference') =>
    quiet.reduce((sum, m) => sum + m[side].ops, 0) / (quiet.reduce((sum, m) => sum + m[side].ms, 0) / 1000);
  return { parley: total('parley'), reference: total('reference'), pairs, kept: quiet.length };
}

/**
 * Logins against verifications with the service's argon2id parameters: the configured ones (the
 * goal), or the OWASP floor (informational). The cost of everything around the hash is the same
 * few milliseconds either way; against the floor's cheaper hash it is a larger share, so the floor
 * run shows that share plainly, beside the goal. `extraMsPerLogin` is that cost: machine time per
 * login beyond a verification's, at saturation (1/logins − 1/verifies per second).
 */
function loginBenchmark(name: string, argon2?: Argon2Parameters): Benchmark {
  return {
    name,
    goal: argon2
      ? 'none (shows the share at the OWASP floor)'
      : '>= 0.9 x raw argon2id verifications (logins/s)',
    ...(argon2 ? {} : { minRatio: 0.9 }),
    needsStack: true,
    async run(context) {
      const f = await openAuthFixture(argon2 ? { argon2 } : {});
      try {
        // One account per login in flight: the guard counts a guess in flight against its account's
        // lockout threshold (5), so eight concurrent logins of one account are refused (429) by
        // design. A population of accounts, each with one login at a time, is what a service sees.
        const bodies: string[] = [];
        for (let i = 0; i < IN_FLIGHT; i++) {
          const email = `bench-login-${i}@example.com`;
          await f.register(email);
          bodies.push(JSON.stringify({ email, password: PASSWORD }));
        }
        const url = `${await f.app.listen({ host: '127.0.0.1', port: 0 })}/v1/tenants/${f.tenant}/login`;
        let next = 0;
        // The service's own hashing setup: same parameters, same cap on hashes in the pool at once.
        const hasher = new PasswordHasher(f.policy.argon2, { concurrency: f.policy.hashingConcurrency });
        const phc = await hasher.hash(PASSWORD);
        const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
        const login = async () => {
          const body = bodies[next++ % bodies.length] as string;
          const status = await postJson(agent, url, body);
          if (status !== 200) throw new Error(`login answered ${status}`);
        };
        const verify = async () => {
          if (!(await hasher.verify(phc, PASSWORD))) throw new Error('verify failed');
        };
        const rates = await pairedRates(context, login, verify);
        agent.destroy();
        const { memoryKiB, passes, parallelism } = f.policy.argon2;
        return {
          parley: { label: 'POST /v1/tenants/:t/login', value: rates.parley, unit: 'logins/s' },
          reference: {
            label: `crypto.argon2 verify (m=${memoryKiB},t=${passes},p=${parallelism})`,
            value: rates.reference,
            unit: 'verifies/s',
          },
          details: {
            inFlight: IN_FLIGHT,
            pairs: rates.pairs,
            keptPairs: rates.kept,
            extraMsPerLogin: Number((1000 / rates.parley - 1000 / rates.reference).toFixed(2)),
          },
        };
      } finally {
        await f.close();
      }
    },
  };
}

export default [
  loginBenchmark('auth-login-vs-raw-argon2id'),
  loginBenchmark('auth-login-vs-raw-argon2id-at-owasp-floor', OWASP_MINIMUM),
];
