/**
 * Presence in Redis, under the tenant's prefix, shared by every replica:
 * - `t:<tenant>:presence:<user>`: a sorted set of the user's sockets, member `<status>|<socket>`,
 *   score = when it expires (epoch ms). Each replica refreshes its own sockets' scores; a replica
 *   that dies (SIGKILL) stops refreshing, so its sockets fall out after the TTL by themselves.
 *   A user's status: online if any live socket is online, away if all are away, else offline.
 * - `t:<tenant>:presence-users`: user -> the latest expiry of any of its sockets, so a replica can
 *   find users whose every socket expired (their replica died) and announce them offline.
 * - `t:<tenant>:presence-told:<user>`: the status last announced, swapped with SET ... GET, so
 *   when several replicas notice the same change only the first tells anyone.
 */
import type { PresenceStatus } from '@parley/contracts';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';

export type SocketStatus = Exclude<PresenceStatus, 'offline'>;

export interface PresenceEntry {
  tenant: string;
  userId: string;
  socketId: string;
  status: SocketStatus;
}

const socketsKey = (tenant: string, userId: string) => redisKey(tenant, 'presence', userId);
const usersKey = (tenant: string) => redisKey(tenant, 'presence-users');
const toldKey = (tenant: string, userId: string) => redisKey(tenant, 'presence-told', userId);
const member = (entry: PresenceEntry) => `${entry.status}|${entry.socketId}`;

/** How long an announced status is remembered (a later change is announced anyway). */
const TOLD_TTL_SECONDS = 86_400;

export class PresenceStore {
  readonly #redis: Redis;
  readonly #ttlMs: number;

  constructor(redis: Redis, ttlMs: number) {
    this.#redis = redis;
    this.#ttlMs = ttlMs;
  }

  /** Records (or refreshes) sockets: one round trip for any number. */
  async put(entries: PresenceEntry[], previous?: SocketStatus): Promise<void> {
    if (entries.length === 0) return;
    const expires = Date.now() + this.#ttlMs;
    const pipeline = this.#redis.pipeline();
    for (const entry of entries) {
      const key = socketsKey(entry.tenant, entry.userId);
      if (previous && previous !== entry.status) pipeline.zrem(key, member({ ...entry, status: previous }));
      pipeline.zadd(key, expires, member(entry));
      pipeline.pexpire(key, this.#ttlMs * 2);
      pipeline.zadd(usersKey(entry.tenant), 'GT', expires, entry.userId);
    }
    await pipeline.exec();
  }

  async remove(entry: PresenceEntry): Promise<void> {
    await this.#redis.zrem(socketsKey(entry.tenant, entry.userId), member(entry));
  }

  /** Each user's status now, from the sockets that have not expired. */
  async statusOf(tenant: string, userIds: string[]): Promise<Map<string, PresenceStatus>> {
    const statuses = new Map<string, PresenceStatus>();
    if (userIds.length === 0) return statuses;
    const now = Date.now();
    const pipeline = this.#redis.pipeline();
    for (const userId of userIds) pipeline.zrangebyscore(socketsKey(tenant, userId), now, '+inf');
    const answers = (await pipeline.exec()) ?? [];
    userIds.forEach((userId, i) => {
      const members = (answers[i]?.[1] as string[] | undefined) ?? [];
      statuses.set(
        userId,
        members.some((m) => m.startsWith('online|')) ? 'online' : members.length > 0 ? 'away' : 'offline',
      );
    });
    return statuses;
  }

  /** Swaps the announced status; true when it differs from what was announced before. */
  async tell(tenant: string, userId: string, status: PresenceStatus): Promise<boolean> {
    const before = await this.#redis.set(toldKey(tenant, userId), status, 'EX', TOLD_TTL_SECONDS, 'GET');
    // Never announced: an offline user needs no "offline" to anyone.
    return before === null ? status !== 'offline' : before !== status;
  }

  /** Users of a tenant whose every socket has expired (their replica stopped refreshing them). */
  async expiredUsers(tenant: string, limit = 500): Promise<string[]> {
    return this.#redis.zrangebyscore(usersKey(tenant), 0, Date.now(), 'LIMIT', 0, limit);
  }

  /**
   * Forgets users found expired. One who reconnected meanwhile is dropped too, harmlessly: their
   * status reads online (nothing is announced) and the next refresh puts them back.
   */
  async forgetExpired(tenant: string, userIds: string[]): Promise<void> {
    if (userIds.length > 0) await this.#redis.zrem(usersKey(tenant), ...userIds);
  }
}
