/**
 * The rate limiter's counting, against an in-memory stand-in for Redis's INCRBY (a unit test: the
 * reconciliation over the real Redis is in tests/integration/gateway-rate-limits.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimitStore } from './rate-limiter.ts';

function sharedStore(): RateLimitStore & { totals: Map<string, number> } {
  const totals = new Map<string, number>();
  return {
    totals,
    pipeline() {
      const ops: (() => [Error | null, unknown])[] = [];
      return {
        incrby(key: string, n: number) {
          ops.push(() => {
            totals.set(key, (totals.get(key) ?? 0) + n);
            return [null, totals.get(key)];
          });
        },
        pexpire() {
          ops.push(() => [null, 1]);
        },
        async exec() {
          return ops.map((op) => op());
        },
      };
    },
  };
}

const policy = { name: 'user', limit: 5, windowMs: 60_000 };

describe('RateLimiter', () => {
  it('admits up to the limit in a window, then refuses with the time to its end', () => {
    let now = 30_000;
    const limiter = new RateLimiter({ now: () => now });
    const decisions = Array.from({ length: 7 }, () => limiter.take(policy, 'alice'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(decisions[5]?.resetSeconds).toBe(30);
    // Another key has its own count; the next window starts again.
    expect(limiter.take(policy, 'bob').allowed).toBe(true);
    now = 60_001;
    expect(limiter.take(policy, 'alice')).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('shares the count between processes through the store after a sync', async () => {
    const store = sharedStore();
    const now = () => 10_000;
    const a = new RateLimiter({ store, now });
    const b = new RateLimiter({ store, now });
    for (let i = 0; i < 3; i++) expect(a.take(policy, 'alice').allowed).toBe(true);
    await a.sync();
    await b.sync();
    expect(b.take(policy, 'alice').allowed).toBe(true);
    await b.sync();
    await a.sync();
    // 4 taken in all: one left, wherever it is asked.
    expect(a.take(policy, 'alice')).toMatchObject({ allowed: true, remaining: 0 });
    await a.sync();
    await b.sync();
    expect(b.take(policy, 'alice').allowed).toBe(false);
    expect([...store.totals.values()]).toEqual([5]);
  });

  it('keeps counting locally while the store fails, and reports the count once it answers', async () => {
    let failing = true;
    const inner = sharedStore();
    const store: RateLimitStore = {
      pipeline() {
        const p = inner.pipeline();
        return {
          incrby: p.incrby,
          pexpire: p.pexpire,
          exec: async () => {
            if (failing) throw new Error('redis down');
            return p.exec();
          },
        };
      },
    };
    const errors: unknown[] = [];
    const limiter = new RateLimiter({ store, now: () => 1_000, onSyncError: (e) => errors.push(e) });
    for (let i = 0; i < 5; i++) limiter.take(policy, 'alice');
    await limiter.sync();
    expect(errors).toHaveLength(1);
    expect(limiter.take(policy, 'alice').allowed).toBe(false);
    failing = false;
    await limiter.sync();
    expect([...inner.totals.values()]).toEqual([5]);
    expect(limiter.take(policy, 'alice').allowed).toBe(false);
  });

  it('keeps at most maxCounters counters', () => {
    const limiter = new RateLimiter({ maxCounters: 100, now: () => 0 });
    for (let i = 0; i < 1000; i++) limiter.take(policy, `k${i}`);
    // The earliest were dropped: k0 counts from zero again.
    expect(limiter.take(policy, 'k0').remaining).toBe(4);
  });
});
