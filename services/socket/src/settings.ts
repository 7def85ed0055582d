/** The socket service's settings (read by @parley/kit from the environment), each with a local default. */
import { kafkaSettings, redisSettings, type Static, serviceSettings, Type } from '@parley/kit';

/** The first local replica; the second runs with PORT=3003 (two replicas of one service). */
export const SOCKET_PORT = 3002;

const Url = (port: number) => Type.String({ pattern: '^https?://', default: `http://127.0.0.1:${port}` });

export const socketSettingsSchema = Type.Object({
  ...serviceSettings(SOCKET_PORT, 'socket'),
  ...redisSettings,
  ...kafkaSettings,
  AUTH_URL: Url(3007),
  MESSAGING_URL: Url(3004),
  /** Where the data keys of message bodies are opened (the crypto service; README "Payloads"). */
  CRYPTO_URL: Url(3009),
  /** What the auth service signs access tokens with (its AUTH_ISSUER and AUTH_AUDIENCE). */
  AUTH_ISSUER: Type.String({ minLength: 1, default: 'http://127.0.0.1:3007' }),
  AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'parley' }),
  /**
   * This replica's stable name (the pod name in a cluster): its Kafka consumer group is
   * `socket.delivery.<REPLICA_ID>`. Empty: `<hostname>-<PORT>`.
   */
  REPLICA_ID: Type.String({ pattern: '^[A-Za-z0-9._-]{0,100}$', default: '' }),
  /** Largest websocket frame a client may send; larger ones close that socket, never the process. */
  MAX_PAYLOAD_BYTES: Type.Integer({ minimum: 1024, maximum: 1_048_576, default: 65_536 }),
  /** Client events per socket per second (a burst of twice this is allowed). */
  CLIENT_EVENTS_PER_SECOND: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  /** How often new tenants' topics are looked for. */
  TOPIC_REFRESH_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  /** Per attempt, for calls to messaging. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
  /** The sharded adapter (SSUBSCRIBE, Redis 7+; a Redis Cluster spreads it); false: classic pub/sub. */
  REDIS_SHARDED_ADAPTER: Type.Boolean({ default: true }),
  /** A socket's presence expires this long after its replica last refreshed it (a dead replica's). */
  PRESENCE_TTL_MS: Type.Integer({ minimum: 300, default: 30_000 }),
  /** Offline is announced only after this long offline, so a reconnect is no flap. */
  PRESENCE_GRACE_MS: Type.Integer({ minimum: 0, default: 5_000 }),
  /** Presence changes go out in batches this far apart (at most one per user per batch). */
  PRESENCE_BATCH_MS: Type.Integer({ minimum: 50, default: 1_000 }),
});

export type SocketSettings = Static<typeof socketSettingsSchema>;
