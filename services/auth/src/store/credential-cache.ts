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
 * "No such account" is cached the same way (creating an account bumps its address's version):
 * otherwise a login for an unknown address would read Mongo where a known one is served from
 * memory, and that extra read would tell the two apart by timing.
 */
import type { Role, UserStatus } from '@parley/contracts';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { accountKey } from '../domain/brute-force-guard.ts';
import type { TenantCollections } from './tenant-store.ts';

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
  async version(tenant: string, emailKey: string): Promise<string> {
    return CredentialCache.versionOf(await this.#redis.get(this.versionKey(tenant, emailKey)));
  }

  /** The version a counter's stored value stands for (a counter never incremented is version 0). */
  static versionOf(stored: string | null): string {
    return stored ?? '0';
  }

  /** The credential under `version`: from memory when read under the same version, else from Mongo. */
  async get(c: TenantCollections, emailKey: string, version: string): Promise<Credential | null> {
    const cacheKey = `${c.tenant}\u0000${emailKey}`;
    const hit = this.#entries.get(cacheKey);
    if (hit && hit.version === version) return hit.credential;
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
    this.#entries.set(cacheKey, { version, credential });
    return credential;
  }

  /** Runs a change of the credential's fields between two version increments. */
  async changing<T>(tenant: string, emailKey: string, write: () => Promise<T>): Promise<T> {
    const key = this.versionKey(tenant, emailKey);
    await this.#redis.incr(key);
    try {
      return await write();
    } finally {
      await this.#redis.incr(key);
    }
  }
}
