/**
 * The sessions revoked recently, held in a local set so checking a token costs no round trip.
 *
 * The auth service records each revocation in the tenant's Redis sorted set
 * (`t:<tenant>:auth:revoked-sessions`, score = the time until which the revocation matters, i.e.
 * until every access token of that session has expired) and publishes it on the tenant's
 * channel. This set listens on all tenants' channels; after every (re)connect of its subscriber
 * it re-reads every tenant's sorted set, so a revocation published while it was disconnected is
 * still learnt. Subscribing comes before reading: a revocation in between is seen twice, never
 * zero times.
 *
 * The tenant of a revocation is the tenant of the channel (or sorted set) it came from, never the
 * one the message names: a message on `t:a:...` naming tenant b is refused, so whoever may
 * publish on one tenant's channel cannot log out another tenant's sessions. What is kept is
 * bounded (revoked-sessions.ts): far-future entries are ignored and each tenant has a bound.
 */
import {
  REVOKED_SESSIONS_KEY,
  SESSION_REVOCATION_CHANNEL,
  type SessionRevocationMessage,
  SessionRevocationMessageSchema,
} from '@parley/contracts';
import { isTenantId, redisKeyPrefix } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import { Compile } from 'typebox/compile';
import {
  DEFAULT_REVOCATION_BOUNDS,
  type RevocationRefusal,
  RevokedSessions,
  type RevokedSessionsBounds,
} from './revoked-sessions.ts';

const CHANNEL_PATTERN = `t:*:${SESSION_REVOCATION_CHANNEL}`;
const KEY_PATTERN = `t:*:${REVOKED_SESSIONS_KEY}`;
const messageValidator = Compile(SessionRevocationMessageSchema);

export interface RevocationSetOptions {
  /** A connected client for reads; the set makes its own duplicate for SUBSCRIBE. */
  redis: Redis;
  /** A full resync also runs on this period, as a second line behind the reconnect resync. */
  resyncIntervalMs?: number;
  /** What the local set keeps at most (see revoked-sessions.ts); defaults suit auth's token lifetimes. */
  bounds?: Partial<RevokedSessionsBounds>;
  onError?: (error: unknown) => void;
}

export type RevocationListener = (revocation: SessionRevocationMessage) => void;

/** The tenant of `t:<tenant>:<suffix>`, when the name is exactly that; undefined otherwise. */
function tenantOf(name: string, suffix: string): string | undefined {
  if (!name.startsWith('t:') || !name.endsWith(`:${suffix}`)) return undefined;
  const tenant = name.slice(2, name.length - suffix.length - 1);
  return isTenantId(tenant) && `${redisKeyPrefix(tenant)}${suffix}` === name ? tenant : undefined;
}

export class RevocationSet {
  readonly name = 'revocation-set';
  readonly #options: Required<Omit<RevocationSetOptions, 'onError' | 'bounds'>> &
    Pick<RevocationSetOptions, 'onError'>;
  readonly #revoked: RevokedSessions;
  readonly #listeners = new Set<RevocationListener>();
  #subscriber: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resyncs = 0;

  constructor(options: RevocationSetOptions) {
    const { bounds, ...rest } = options;
    this.#options = { resyncIntervalMs: 60_000, ...rest };
    this.#revoked = new RevokedSessions({ ...DEFAULT_REVOCATION_BOUNDS, ...bounds });
  }

  /** Subscribes and loads the current revocations; resolves when the set is complete. */
  async start(): Promise<void> {
    const subscriber = this.#options.redis.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('pmessage', (_pattern, channel, message) => this.#receive(channel, message));
    subscriber.on('error', (error) => this.#options.onError?.(error));
    // ioredis re-subscribes by itself after a reconnect; what was published meanwhile is re-read here.
    subscriber.on('ready', () => {
      if (this.#resyncs > 0) this.resync().catch((error) => this.#options.onError?.(error));
    });
    if (subscriber.status === 'wait') await subscriber.connect();
    await subscriber.psubscribe(CHANNEL_PATTERN);
    await this.resync();
    this.#timer = setInterval(() => {
      this.resync().catch((error) => this.#options.onError?.(error));
      this.#revoked.prune();
    }, this.#options.resyncIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /** The hot path: a map lookup. */
  isRevoked(tenant: string, sessionId: string): boolean {
    return this.#revoked.has(tenant, sessionId);
  }

  /** Called for each revocation learnt by push (not by resync): the socket service disconnects here. */
  onRevoked(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#revoked.size;
  }

  /** How many revocations of one tenant are held. */
  sizeOf(tenant: string): number {
    return this.#revoked.sizeOf(tenant);
  }

  get resyncCount(): number {
    return this.#resyncs;
  }

  /** Revocations ignored or not kept, by reason (a channel naming another tenant, far-future, over the bound). */
  refusedCount(reason: RevocationRefusal): number {
    return this.#revoked.refusedCount(reason);
  }

  /** Re-reads every tenant's revoked-session set (only what can still matter, at most the bound). */
  async resync(): Promise<void> {
    const redis = this.#options.redis;
    const { maxEntriesPerTenant, maxRelevanceMs } = this.#revoked.bounds;
    const now = Date.now();
    const horizon = now + maxRelevanceMs;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', KEY_PATTERN, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const tenant = tenantOf(key, REVOKED_SESSIONS_KEY);
        if (!tenant) continue;
        // Entries beyond the horizon are ignored, like pushed ones; one past the bound is enough
        // to know the tenant overflows.
        const entries = await redis.zrangebyscore(
          key,
          now,
          horizon,
          'WITHSCORES',
          'LIMIT',
          0,
          maxEntriesPerTenant + 1,
        );
        for (let i = 0; i + 1 < entries.length; i += 2) {
          this.#revoked.add(tenant, entries[i] as string, Number(entries[i + 1]), now);
        }
        if (entries.length / 2 > maxEntriesPerTenant) {
          const [, last] = await redis.zrevrangebyscore(key, horizon, now, 'WITHSCORES', 'LIMIT', 0, 1);
          this.#revoked.failClosed(tenant, Number(last ?? horizon));
        }
      }
    } while (cursor !== '0');
    this.#resyncs += 1;
  }

  #receive(channel: string, raw: string): void {
    const tenant = tenantOf(channel, SESSION_REVOCATION_CHANNEL);
    if (!tenant) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!messageValidator.Check(message)) return;
    // The channel says whose revocation this is; a message naming another tenant is forged.
    if (message.tenant !== tenant) {
      this.#revoked.refuse('channel-tenant');
      return;
    }
    if (!this.#revoked.add(tenant, message.sessionId, message.relevantUntil)) return;
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch (error) {
        this.#options.onError?.(error);
      }
    }
  }
}
