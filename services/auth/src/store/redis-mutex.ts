/**
 * A short mutual-exclusion lock in Redis around a read-decide-write on one document.
 *
 * Why: the local Mongo-wire server (FerretDB 1.24) does not make a conditional update atomic.
 * Measured here: five concurrent `updateOne({ _id, field: old }, { $set: { field: new } })` (or
 * findOneAndUpdate) on one document report up to five matches and the last write wins. Real
 * MongoDB serialises them, but Parley's tests and local runs use FerretDB, and a refresh-token
 * rotation, a TOTP step or a recovery code must be taken exactly once. Holding this lock for the
 * few milliseconds of the critical section makes that true on both; the owner token and the
 * compare-and-delete release keep a slow holder from releasing someone else's lock.
 */
import { randomBytes } from 'node:crypto';
import { problems } from '@parley/kit';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface MutexOptions {
  /** The lock expires by itself after this, should its holder die. */
  leaseMs?: number;
  /** How long to wait for the lock before answering 503. */
  waitMs?: number;
}

export async function withRedisLock<T>(
  redis: Redis,
  key: string,
  critical: () => Promise<T>,
  { leaseMs = 5_000, waitMs = 3_000 }: MutexOptions = {},
): Promise<T> {
  const owner = randomBytes(12).toString('base64url');
  const deadline = Date.now() + waitMs;
  let delay = 5;
  while ((await redis.set(key, owner, 'PX', leaseMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw problems.unavailable('The resource is busy; retry shortly');
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await critical();
  } finally {
    await redis.eval(RELEASE, 1, key, owner);
  }
}
