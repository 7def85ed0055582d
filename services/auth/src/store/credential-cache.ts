/**
 * The part of a user that login needs (id, password hash, status, roles, whether MFA is on),
 * cached in this process so a login costs no database read when nothing changed.
 *
 * Freshness comes from a version counter in Redis per account (`t:<tenant>:auth:credential-version:<account>`)
 * that every change of those fields increments before and after its Mongo write; login reads the
 * counter (in the same Redis round trip as the brute-force check) and uses the cached entry only
 * when it was read under the same version. Whatever the interleaving, an entry read before a
 * change is never used after it; a crash between write and second increment is covered by the
 * first. The hash itself never leaves this process and Mongo (Redis holds only the counter), and
 * entries also expire after a few minutes.
 *
 * A counter starts at a random value, set when a login first finds it missing, and nothing is
 * served from memory while it is missing. So a Redis that lost its data (a restart without
 * persistence, a failover) cannot bring back a version an old entry was read under: counting
 * from 0 again would let a password changed just before the loss work for minutes. Counters of
 * addresses without an account expire (VERSION_TTL_MS), so probing random addresses cannot fill
 * Redis.
 *
 * "No such account" is cached the same way (creating an account bumps its address's version):
 * otherwise a login for an unknown address would read Mongo where a known one is served from
 * memory, and that extra read would tell the two apart by timing.
 */
import { randomInt } from 'node:crypto';
import type { Role, UserStatus } from '@parley/contracts';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { accountKey } from '../domain/brute-force-guard.ts';
import type { TenantCollections } from './tenant-store.ts';

/** How long a counter nobody changes lives (a login past it starts a new random one). */
export const VERSION_TTL_MS = 24 * 3600_000;

const ADVANCE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

export interface Credential {
  _id: string;
  emailKey: string;
  passwordHash: string;
  status: UserStatus;
  roles: Role[];
  mfa: boolean;
}

export class CredentialCache {
  readonly #redis: Redis;
  readonly #entries: LRUCache<string, { version: string; credential: Credential | null }>;

  constructor(redis: Redis, { max = 10_000, ttlMs = 5 * 60_000 } = {}) {
    this.#redis = redis;
    this.#entries = new LRUCache({ max, ttl: ttlMs });
  }

  /** Where an account's version counter lives (login reads it along with the lockout check). */
  versionKey(tenant: string, emailKey: string): string {
    return redisKey(tenant, 'auth', 'credential-version', accountKey(emailKey));
  }

  /** The current version of an account's credential (read before the credential itself). */
  async version(tenant: string, emailKey: string): Promise<string | undefined> {
    return CredentialCache.versionOf(await this.#redis.get(this.versionKey(tenant, emailKey)));
  }

  /** The version a counter's stored value stands for; undefined when the counter is missing. */
  static versionOf(stored: string | null): string | undefined {
    return stored ?? undefined;
  }

  /**
   * The credential under `version`: from memory when read under the same version, else from
   * Mongo. Without a version (the counter is missing) it starts one at a random value first, and
   * remembers the read only if that value is still the counter's.
   */
  async get(c: TenantCollections, emailKey: string, version: string | undefined): Promise<Credential | null> {
    const cacheKey = `${c.tenant}\u0000${emailKey}`;
    if (version === undefined) {
      const fresh = String(randomInt(1, 2 ** 47));
      const started = await this.#redis.set(
        this.versionKey(c.tenant, emailKey),
        fresh,
        'PX',
        VERSION_TTL_MS,
        'NX',
      );
      return this.#read(c, emailKey, cacheKey, started === 'OK' ? fresh : undefined);
    }
    const hit = this.#entries.get(cacheKey);
    if (hit && hit.version === version) return hit.credential;
    return this.#read(c, emailKey, cacheKey, version);
  }

  async #read(
    c: TenantCollections,
    emailKey: string,
    cacheKey: string,
    version: string | undefined,
  ): Promise<Credential | null> {
    const user = await c.users.findOne(
      { emailKey },
      { projection: { _id: 1, emailKey: 1, passwordHash: 1, status: 1, roles: 1, totp: 1 } },
    );
    const credential: Credential | null = user
      ? {
          _id: user._id,
          emailKey: user.emailKey,
          passwordHash: user.passwordHash,
          status: user.status,
          roles: user.roles,
          mfa: !!user.totp,
        }
      : null;
    if (version !== undefined) this.#entries.set(cacheKey, { version, credential });
    return credential;
  }

  /** Runs a change of the credential's fields between two version moves. */
  async changing<T>(tenant: string, emailKey: string, write: () => Promise<T>): Promise<T> {
    const key = this.versionKey(tenant, emailKey);
    await this.#advance(key);
    try {
      return await write();
    } finally {
      await this.#advance(key);
    }
  }

  /** Increments the counter, or starts it at a random value when missing (never from 0 again). */
  #advance(key: string): Promise<unknown> {
    return this.#redis.eval(ADVANCE, 1, key, String(randomInt(1, 2 ** 47)), VERSION_TTL_MS);
  }
}
