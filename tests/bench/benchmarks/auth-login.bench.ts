/**
 * Logins per second through the auth service (HTTP, argon2id verify, session in Mongo and Redis,
 * audit record in the outbox, EdDSA-signed access token) against raw argon2id verifications at
 * the same parameters and the same concurrency: what everything around the hash costs a login.
 * Both sides keep as many operations in flight as libuv has threads (argon2 runs there).
 */
import { PasswordHasher } from '@parley/auth-service/src/domain/password-hasher.ts';
import { openAuthFixture, PASSWORD } from '@parley/auth-service/src/testing/auth-fixture.ts';
import type { Benchmark } from '../harness.ts';
import { interleave } from '../harness.ts';

const IN_FLIGHT = 4;

async function ratePerSecond(durationMs: number, operation: () => Promise<void>): Promise<number> {
  const started = performance.now();
  const deadline = started + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
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
      const rates = await interleave(
        context,
        (ms) => ratePerSecond(ms, login),
        (ms) => ratePerSecond(ms, verify),
      );
      return {
        parley: { label: 'POST /tenants/:t/login', value: rates.parley, unit: 'logins/s' },
        reference: {
          label: 'crypto.argon2 verify (m=19456,t=2,p=1)',
          value: rates.reference,
          unit: 'verifies/s',
        },
        details: { inFlight: IN_FLIGHT },
      };
    } finally {
      await f.close();
    }
  },
};

export default benchmark;
