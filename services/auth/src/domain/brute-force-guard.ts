/**
 * Brute-force protection kept in Redis, per account and per source address: failures are counted
 * in a window, and reaching the threshold locks the key for a time that doubles with each
 * lockout (base, 2×base, 4×base… up to a maximum), forgotten a day after the last one. Passwords,
 * TOTP codes and recovery codes all count against the same account key, so an attacker cannot
 * switch factors to reset the count. The account key is a hash of the normalised e-mail, known
 * or not, so a lockout says nothing about whether an account exists.
 *
 * A guard has a scope: its own keys and its own refusal. Logins use `bf`; open sign-up uses its
 * own scope (see sign-up-throttle.ts), so a flood of sign-ups for an address never locks its
 * owner's logins.
 */
import { createHash } from 'node:crypto';
import { problems } from '@parley/kit';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';

export interface LockoutPolicy {
  accountThreshold: number;
  addressThreshold: number;
  baseSeconds: number;
  maxSeconds: number;
  windowSeconds: number;
}

const LEVEL_MEMORY_MS = 24 * 3600 * 1000;

// KEYS: failures, lock, level. ARGV: threshold, baseMs, maxMs, windowMs, levelMemoryMs.
// Returns the lockout in ms that this failure started, or 0.
const RECORD_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
if n >= tonumber(ARGV[1]) then
  local level = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  local ms = math.min(tonumber(ARGV[2]) * (2 ^ (level - 1)), tonumber(ARGV[3]))
  redis.call('SET', KEYS[2], level, 'PX', math.floor(ms))
  redis.call('DEL', KEYS[1])
  return math.floor(ms)
end
return 0
`;

// KEYS: account lock, account failures, account level, then the address lock when ARGV[1] is 1,
// then a key to read along when ARGV[2] is 1. Returns the two lock TTLs (ms, negative when
// unlocked), how many of failures/level exist, and the value read along (nil when none).
const CHECK = `
local account = redis.call('PTTL', KEYS[1])
local dirty = redis.call('EXISTS', KEYS[2], KEYS[3])
local key = 4
local address = -2
if ARGV[1] == '1' then
  address = redis.call('PTTL', KEYS[key])
  key = key + 1
end
local along = false
if ARGV[2] == '1' then along = redis.call('GET', KEYS[key]) end
return { account, address, dirty, along }
`;

export interface GuardState {
  accountHasHistory: boolean;
  /** The value of the `readAlong` key, read in the same round trip (null when absent or not asked). */
  readAlong: string | null;
}

export function accountKey(emailKey: string): string {
  return createHash('sha256').update(emailKey).digest('hex').slice(0, 32);
}

export interface Attempt {
  tenant: string;
  /** accountKey(emailKey) */
  account: string;
  ip?: string;
}

export interface GuardScope {
  /** The part of the Redis keys (`t:<tenant>:auth:<keyPart>:...`) that sets this guard's counters apart. */
  keyPart: string;
  /** What a 429 says. */
  refusal: string;
}

export const LOGIN_GUARD_SCOPE: GuardScope = {
  keyPart: 'bf',
  refusal: 'Too many failed attempts; try again later',
};

export class BruteForceGuard {
  readonly #redis: Redis;
  readonly #policy: LockoutPolicy;
  readonly #scope: GuardScope;

  constructor(redis: Redis, policy: LockoutPolicy, scope: GuardScope = LOGIN_GUARD_SCOPE) {
    this.#redis = redis;
    this.#policy = policy;
    this.#scope = scope;
  }

  #keys(tenant: string, kind: 'acct' | 'addr', id: string): [string, string, string] {
    const base = redisKey(tenant, 'auth', this.#scope.keyPart, kind, id);
    return [`${base}:failures`, `${base}:lock`, `${base}:level`];
  }

  /**
   * Throws 429 with Retry-After while the account or the address is locked. Otherwise says
   * whether the account has failures or lockout history to clear after a success, and returns the
   * value of `readAlong` (a login's credential version): one round trip to Redis for both.
   */
  async assertNotLocked(attempt: Attempt, readAlong?: string): Promise<GuardState> {
    const [failures, accountLock, level] = this.#keys(attempt.tenant, 'acct', attempt.account);
    const keys = [accountLock, failures, level];
    if (attempt.ip) keys.push(this.#keys(attempt.tenant, 'addr', attempt.ip)[1]);
    if (readAlong) keys.push(readAlong);
    const [accountTtl, addressTtl, dirty, along] = (await this.#redis.eval(
      CHECK,
      keys.length,
      ...keys,
      attempt.ip ? '1' : '0',
      readAlong ? '1' : '0',
    )) as [number, number, number, string | null];
    const remaining = Math.max(accountTtl, addressTtl);
    if (remaining > 0) {
      throw problems.tooManyRequests(this.#scope.refusal, Math.ceil(remaining / 1000));
    }
    return { accountHasHistory: dirty > 0, readAlong: along ?? null };
  }

  /** Counts a failure; returns the lockout (seconds) it started for the account, if any. */
  async recordFailure(
    attempt: Attempt,
  ): Promise<{ accountLockedForSeconds: number; addressLockedForSeconds: number }> {
    const p = this.#policy;
    const run = (keys: [string, string, string], threshold: number) =>
      this.#redis.eval(
        RECORD_FAILURE,
        3,
        ...keys,
        threshold,
        p.baseSeconds * 1000,
        p.maxSeconds * 1000,
        p.windowSeconds * 1000,
        LEVEL_MEMORY_MS,
      ) as Promise<number>;
    const [account, address] = await Promise.all([
      run(this.#keys(attempt.tenant, 'acct', attempt.account), p.accountThreshold),
      attempt.ip
        ? run(this.#keys(attempt.tenant, 'addr', attempt.ip), p.addressThreshold)
        : Promise.resolve(0),
    ]);
    return {
      accountLockedForSeconds: Math.ceil(account / 1000),
      addressLockedForSeconds: Math.ceil(address / 1000),
    };
  }

  /** A success clears the account's failures and lockout history (not the address's). */
  async recordSuccess(attempt: Attempt, state: GuardState): Promise<void> {
    if (!state.accountHasHistory) return;
    const [failures, , level] = this.#keys(attempt.tenant, 'acct', attempt.account);
    await this.#redis.del(failures, level);
  }
}
