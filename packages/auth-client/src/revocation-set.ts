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
 */
import {
  REVOKED_SESSIONS_KEY,
  SESSION_REVOCATION_CHANNEL,
  type SessionRevocationMessage,
  SessionRevocationMessageSchema,
} from '@parley/contracts';
import { redisKeyPrefix } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import { Compile } from 'typebox/compile';

const CHANNEL_PATTERN = `t:*:${SESSION_REVOCATION_CHANNEL}`;
const KEY_PATTERN = `t:*:${REVOKED_SESSIONS_KEY}`;
const messageValidator = Compile(SessionRevocationMessageSchema);

export interface RevocationSetOptions {
  /** A connected client for reads; the set makes its own duplicate for SUBSCRIBE. */
  redis: Redis;
  /** A full resync also runs on this period, as a second line behind the reconnect resync. */
  resyncIntervalMs?: number;
  onError?: (error: unknown) => void;
}

export type RevocationListener = (revocation: SessionRevocationMessage) => void;

function entryKey(tenant: string, sessionId: string): string {
  return `${tenant}\u0000${sessionId}`;
}

export class RevocationSet {
  readonly name = 'revocation-set';
  readonly #options: Required<Omit<RevocationSetOptions, 'onError'>> & Pick<RevocationSetOptions, 'onError'>;
  readonly #revoked = new Map<string, number>();
  readonly #listeners = new Set<RevocationListener>();
  #subscriber: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resyncs = 0;

  constructor(options: RevocationSetOptions) {
    this.#options = { resyncIntervalMs: 60_000, ...options };
  }

  /** Subscribes and loads the current revocations; resolves when the set is complete. */
  async start(): Promise<void> {
    const subscriber = this.#options.redis.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('pmessage', (_pattern, _channel, message) => this.#receive(message));
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
      this.#prune();
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
    const until = this.#revoked.get(entryKey(tenant, sessionId));
    return until !== undefined;
  }

  /** Called for each revocation learnt by push (not by resync): the socket service disconnects here. */
  onRevoked(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#revoked.size;
  }

  get resyncCount(): number {
    return this.#resyncs;
  }

  /** Re-reads every tenant's revoked-session set. */
  async resync(): Promise<void> {
    const redis = this.#options.redis;
    const now = Date.now();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', KEY_PATTERN, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const tenant = key.slice(2, key.length - REVOKED_SESSIONS_KEY.length - 1);
        if (`${redisKeyPrefix(tenant)}${REVOKED_SESSIONS_KEY}` !== key) continue;
        const entries = await redis.zrangebyscore(key, now, '+inf', 'WITHSCORES');
        for (let i = 0; i + 1 < entries.length; i += 2) {
          this.#add(tenant, entries[i] as string, Number(entries[i + 1]));
        }
      }
    } while (cursor !== '0');
    this.#resyncs += 1;
  }

  #receive(raw: string): void {
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!messageValidator.Check(message)) return;
    this.#add(message.tenant, message.sessionId, message.relevantUntil);
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch (error) {
        this.#options.onError?.(error);
      }
    }
  }

  #add(tenant: string, sessionId: string, relevantUntil: number): void {
    const key = entryKey(tenant, sessionId);
    this.#revoked.set(key, Math.max(relevantUntil, this.#revoked.get(key) ?? 0));
  }

  /** Forgets revocations whose sessions' tokens have all expired (their tokens fail on exp anyway). */
  #prune(): void {
    const now = Date.now();
    for (const [key, until] of this.#revoked) if (until < now) this.#revoked.delete(key);
  }
}
