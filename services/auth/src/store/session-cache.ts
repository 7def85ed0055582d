/**
 * Sessions in Redis, for speed: a record per live session (one SET with the session's expiry,
 * written with each login), and the tenant's revoked-session set and channel that every
 * auth-client listens to. Mongo holds the durable session; a revocation is written here first, so
 * a crash between the two writes leaves a session refused (the refresh path finishes the Mongo
 * write), never one that looks alive. (A per-user set of session ids used to be kept beside the
 * record; nothing read it — listing and revoking a user's sessions read Mongo — and its upkeep was
 * four of the five Redis commands a login sent, so it is gone.)
 */
import {
  REVOKED_SESSIONS_KEY,
  SESSION_REVOCATION_CHANNEL,
  type SessionRevocationMessage,
} from '@parley/contracts';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';

export interface CachedSession {
  userId: string;
  expiresAt: number;
}

export class SessionCache {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async put(tenant: string, sessionId: string, session: CachedSession): Promise<void> {
    const ttlMs = Math.max(1, session.expiresAt - Date.now());
    await this.#redis.set(
      redisKey(tenant, 'auth', 'session', sessionId),
      JSON.stringify(session),
      'PX',
      ttlMs,
    );
  }

  async isRevoked(tenant: string, sessionId: string): Promise<boolean> {
    return (await this.#redis.zscore(redisKey(tenant, REVOKED_SESSIONS_KEY), sessionId)) !== null;
  }

  /**
   * Records and announces a revocation. `relevantUntil` is when the session's last access token
   * expires: after it the entry is pruned, since exp refuses those tokens anyway.
   */
  async revoke(message: SessionRevocationMessage): Promise<void> {
    const revokedKey = redisKey(message.tenant, REVOKED_SESSIONS_KEY);
    await this.#redis
      .multi()
      .zadd(revokedKey, 'GT', message.relevantUntil, message.sessionId)
      .zremrangebyscore(revokedKey, '-inf', Date.now())
      .del(redisKey(message.tenant, 'auth', 'session', message.sessionId))
      .publish(redisKey(message.tenant, SESSION_REVOCATION_CHANNEL), JSON.stringify(message))
      .exec();
  }
}
