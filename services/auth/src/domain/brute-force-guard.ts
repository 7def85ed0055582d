/**
 * Brute-force protection kept in Redis, per account and per source address: failures are counted
 * in a window, and reaching the threshold locks the key for a time that doubles with each
 * lockout (base, 2×base, 4×base… up to a maximum), forgotten a day after the last one. Passwords,
 * TOTP codes and recovery codes all count against the same account key, so an attacker cannot
 * switch factors to reset the count. The account key is a hash of the normalised e-mail, known
 * or not, so a lockout says nothing about whether an account exists.
 *
 * Every guess reserves its attempt before any hashing (`reserve`), in one atomic script: the lock
 * is checked and the reservation counted together, and a key whose failures plus guesses in
 * flight reach the threshold takes no more. Checking first and counting after the hash (the first
 * design) let N requests sent at once all pass the check and evaluate N guesses per lockout. So
 * at most `threshold - failures` guesses per account (and per address) are ever being evaluated,
 * which also bounds each account's share of the hash queue. A guess ends in `fail` (counted, and
 * a lockout when it reaches the threshold), `succeed` or `release` (neither counted). A lockout
 * drops the key's reservations, and `succeed` refuses a guess whose reservation is gone: no token
 * is issued for a guess that was in flight when its account or address was locked, nor for one
 * whose reservation outlived RESERVATION_TTL_MS (a crashed replica's reservations expire so).
 *
 * A guard has a scope: its own keys and its own refusal. Logins use `bf`; open sign-up uses its
 * own scope (see sign-up-throttle.ts), so a flood of sign-ups for an address never locks its
 * owner's logins.
 */
import { createHash, randomBytes } from 'node:crypto';
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

/** How long a reservation holds its place if its guess never ends (a replica died mid-hash). */
export const RESERVATION_TTL_MS = 60_000;

/** Retry-After when a key is not locked but every attempt it has left is already being evaluated. */
const BUSY_RETRY_SECONDS = 1;

// KEYS: account lock, failures, level, in-flight; then the address's lock, failures, in-flight
// when ARGV[1] is 1; then a key to read along when ARGV[2] is 1.
// ARGV: has address, has read-along, account threshold, address threshold, reservation id, ttl ms.
// Returns { status (0 reserved, 1 locked, 2 busy), lock ms, account history?, value read along }.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function check(lock, failures, inflight, threshold)
  local ttl = redis.call('PTTL', lock)
  if ttl > 0 then return 1, ttl end
  redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
  local used = tonumber(redis.call('GET', failures) or '0') + redis.call('ZCARD', inflight)
  if used >= tonumber(threshold) then return 2, 0 end
  return 0, 0
end
local along = false
local key = 5
if ARGV[1] == '1' then key = 8 end
if ARGV[2] == '1' then along = redis.call('GET', KEYS[key]) end
local dirty = redis.call('EXISTS', KEYS[2], KEYS[3])
local status, ms = check(KEYS[1], KEYS[2], KEYS[4], ARGV[3])
if status == 0 and ARGV[1] == '1' then status, ms = check(KEYS[5], KEYS[6], KEYS[7], ARGV[4]) end
if status ~= 0 then return { status, ms, dirty, along } end
local expires = now + tonumber(ARGV[6])
redis.call('ZADD', KEYS[4], expires, ARGV[5])
redis.call('PEXPIRE', KEYS[4], ARGV[6])
if ARGV[1] == '1' then
  redis.call('ZADD', KEYS[7], expires, ARGV[5])
  redis.call('PEXPIRE', KEYS[7], ARGV[6])
end
return { 0, 0, dirty, along }
`;

// KEYS: failures, lock, level, in-flight. ARGV: threshold, baseMs, maxMs, windowMs,
// levelMemoryMs, reservation id. Returns the lockout in ms that this failure started, or 0.
const RECORD_FAILURE = `
redis.call('ZREM', KEYS[4], ARGV[6])
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
if n >= tonumber(ARGV[1]) then
  local level = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  local ms = math.min(tonumber(ARGV[2]) * (2 ^ (level - 1)), tonumber(ARGV[3]))
  redis.call('SET', KEYS[2], level, 'PX', math.floor(ms))
  redis.call('DEL', KEYS[1], KEYS[4])
  return math.floor(ms)
end
return 0
`;

// KEYS: account in-flight, failures, level, then the address's in-flight when ARGV[3] is 1.
// ARGV: reservation id, clear the account's history (1/0), has address.
// Returns 1 when the reservation was still held (the guess may succeed), else 0.
const SUCCEED = `
local held = redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[3] == '1' and redis.call('ZREM', KEYS[4], ARGV[1]) == 0 then held = 0 end
if held == 0 then return 0 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[2], KEYS[3]) end
return 1
`;

export function accountKey(emailKey: string): string {
  return createHash('sha256').update(emailKey).digest('hex').slice(0, 32);
}

export interface Attempt {
  tenant: string;
  /** accountKey(emailKey) */
  account: string;
  ip?: string;
}

/** One guess's place, held from before its hash until it fails, succeeds or is released. */
export interface Reservation {
  attempt: Attempt;
  id: string;
  /** Whether the account has failures or lockout history that a success clears. */
  accountHasHistory: boolean;
  /** The value of the `readAlong` key, read in the same round trip (null when absent or not asked). */
  readAlong: string | null;
}

export interface Lockout {
  accountLockedForSeconds: number;
  addressLockedForSeconds: number;
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

interface KeySet {
  failures: string;
  lock: string;
  level: string;
  inflight: string;
}

export class BruteForceGuard {
  readonly #redis: Redis;
  readonly #policy: LockoutPolicy;
  readonly #scope: GuardScope;

  constructor(redis: Redis, policy: LockoutPolicy, scope: GuardScope = LOGIN_GUARD_SCOPE) {
    this.#redis = redis;
    this.#policy = policy;
    this.#scope = scope;
  }

  #keys(tenant: string, kind: 'acct' | 'addr', id: string): KeySet {
    const base = redisKey(tenant, 'auth', this.#scope.keyPart, kind, id);
    return {
      failures: `${base}:failures`,
      lock: `${base}:lock`,
      level: `${base}:level`,
      inflight: `${base}:inflight`,
    };
  }

  /**
   * Reserves one guess for the account and the address, or throws 429 with Retry-After while
   * either is locked or has every attempt it has left in flight. Reads `readAlong` (a login's
   * credential version) in the same round trip.
   */
  async reserve(attempt: Attempt, readAlong?: string): Promise<Reservation> {
    const id = randomBytes(12).toString('base64url');
    const account = this.#keys(attempt.tenant, 'acct', attempt.account);
    const keys = [account.lock, account.failures, account.level, account.inflight];
    if (attempt.ip) {
      const address = this.#keys(attempt.tenant, 'addr', attempt.ip);
      keys.push(address.lock, address.failures, address.inflight);
    }
    if (readAlong) keys.push(readAlong);
    const [status, lockMs, dirty, along] = (await this.#redis.eval(
      RESERVE,
      keys.length,
      ...keys,
      attempt.ip ? '1' : '0',
      readAlong ? '1' : '0',
      this.#policy.accountThreshold,
      this.#policy.addressThreshold,
      id,
      RESERVATION_TTL_MS,
    )) as [number, number, number, string | null];
    if (status === 1) throw problems.tooManyRequests(this.#scope.refusal, Math.ceil(lockMs / 1000));
    if (status === 2) throw problems.tooManyRequests(this.#scope.refusal, BUSY_RETRY_SECONDS);
    return { attempt, id, accountHasHistory: dirty > 0, readAlong: along ?? null };
  }

  /** Counts the reserved guess as a failure; returns the lockouts (seconds) it started, if any. */
  async fail(reservation: Reservation): Promise<Lockout> {
    const { attempt, id } = reservation;
    const p = this.#policy;
    const run = (k: KeySet, threshold: number) =>
      this.#redis.eval(
        RECORD_FAILURE,
        4,
        k.failures,
        k.lock,
        k.level,
        k.inflight,
        threshold,
        p.baseSeconds * 1000,
        p.maxSeconds * 1000,
        p.windowSeconds * 1000,
        LEVEL_MEMORY_MS,
        id,
      ) as Promise<number>;
    const [account, address] = await Promise.all([
      run(this.#keys(attempt.tenant, 'acct', attempt.account), p.accountThreshold),
      attempt.ip ? run(this.#keys(attempt.tenant, 'addr', attempt.ip), p.addressThreshold) : 0,
    ]);
    return {
      accountLockedForSeconds: Math.ceil(account / 1000),
      addressLockedForSeconds: Math.ceil(address / 1000),
    };
  }

  /**
   * Ends a right guess. `clearHistory` clears the account's failures and lockout history (not
   * the address's). Throws 429 when the reservation is gone: a lockout fell while the guess was
   * being evaluated, or it took longer than RESERVATION_TTL_MS.
   */
  async succeed(reservation: Reservation, { clearHistory }: { clearHistory: boolean }): Promise<void> {
    const { attempt, id } = reservation;
    const account = this.#keys(attempt.tenant, 'acct', attempt.account);
    const keys = [account.inflight, account.failures, account.level];
    if (attempt.ip) keys.push(this.#keys(attempt.tenant, 'addr', attempt.ip).inflight);
    const held = (await this.#redis.eval(
      SUCCEED,
      keys.length,
      ...keys,
      id,
      clearHistory && reservation.accountHasHistory ? '1' : '0',
      attempt.ip ? '1' : '0',
    )) as number;
    if (held !== 1) throw problems.tooManyRequests(this.#scope.refusal, BUSY_RETRY_SECONDS);
  }

  /** Gives the place back without counting (the guess ended in an error, not an answer). */
  async release(reservation: Reservation): Promise<void> {
    const { attempt, id } = reservation;
    const multi = this.#redis.multi().zrem(this.#keys(attempt.tenant, 'acct', attempt.account).inflight, id);
    if (attempt.ip) multi.zrem(this.#keys(attempt.tenant, 'addr', attempt.ip).inflight, id);
    await multi.exec();
  }

  /**
   * Runs `guess` under a reservation: released if it throws without having settled it. `guess`
   * settles with `fail` or `succeed` itself (its outcome decides which).
   */
  async guarded<T>(reservation: Reservation, guess: (settle: Settle) => Promise<T>): Promise<T> {
    let settled = false;
    const settle: Settle = {
      fail: () => {
        settled = true;
        return this.fail(reservation);
      },
      succeed: (options) => {
        settled = true;
        return this.succeed(reservation, options);
      },
    };
    try {
      return await guess(settle);
    } finally {
      if (!settled) await this.release(reservation).catch(() => {});
    }
  }
}

/** How a guarded guess ends its reservation (exactly once). */
export interface Settle {
  fail(): Promise<Lockout>;
  succeed(options: { clearHistory: boolean }): Promise<void>;
}
