/**
 * The gateway's settings (read by @parley/kit from the environment). Every value has a default
 * that works against the local stack and the services `npm start` runs.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisSettings, type Static, serviceSettings, Type } from '@parley/kit';

export const GATEWAY_PORT = 3000;

const Url = (port: number) => Type.String({ pattern: '^https?://', default: `http://127.0.0.1:${port}` });

export const gatewaySettingsSchema = Type.Object({
  ...serviceSettings(GATEWAY_PORT, 'gateway'),
  ...redisSettings,
  AUTH_URL: Url(3007),
  COMPLIANCE_URL: Url(3008),
  MESSAGING_URL: Url(3004),
  SEARCH_URL: Url(3006),
  /**
   * The socket service's replicas, comma-separated: websocket upgrades on /socket.io/ are
   * forwarded to them round-robin (src/socket-forwarding.ts). Empty: no realtime door.
   */
  SOCKET_URLS: Type.String({ default: 'http://127.0.0.1:3002,http://127.0.0.1:3003' }),
  /** Where the built web client is (`npm run build` writes web/dist/client). Empty: that folder. */
  WEB_CLIENT_DIR: Type.String({ default: '' }),
  MEDIA_URL: Url(3005),
  /** Bots, incoming and outgoing webhooks (services/integrations). */
  INTEGRATIONS_URL: Url(3012),
  /** What the auth service signs access tokens with (its AUTH_ISSUER and AUTH_AUDIENCE). */
  AUTH_ISSUER: Type.String({ minLength: 1, default: 'http://127.0.0.1:3007' }),
  AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'parley' }),
  /**
   * Browser origins allowed to call the API (CORS), comma-separated, e.g.
   * `https://chat.example,https://admin.chat.example`. Empty: no cross-origin browser access.
   */
  CORS_ORIGINS: Type.String({ default: '' }),
  /**
   * Host names that name a tenant for sign-in and sign-up without the tenant in the path:
   * `acme.chat.example=acme,globex.chat.example=globex`. Empty: the path form only.
   */
  TENANT_HOSTS: Type.String({ default: '' }),
  /**
   * The reverse proxies / load balancers in front of the gateway, comma-separated addresses or
   * CIDR ranges (`10.0.0.0/8,fd00::/8`): only from these is X-Forwarded-For believed for the
   * client's address (rate limits per address, audit records). Empty: the peer is the client.
   */
  TRUSTED_PROXIES: Type.String({ default: '' }),
  /** Per attempt, for calls to the services (sign-in hashes a password: give it time). */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  /** How long a tenant's status (the operator's runtime record) is remembered. */
  TENANT_STATUS_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 3_000 }),
  /** Rate limits (src/routes/rate-limits.ts): one window for every policy. */
  RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
  /** Requests per user and window. */
  RATE_LIMIT_USER_REQUESTS: Type.Integer({ minimum: 1, default: 1200 }),
  /** Requests per source address and window on routes without a token (sign-in, sign-up). */
  RATE_LIMIT_ADDRESS_REQUESTS: Type.Integer({ minimum: 1, default: 120 }),
  /** A tenant's requests per second: its plan's messagesPerSecond times this. */
  RATE_LIMIT_TENANT_REQUESTS_PER_MESSAGE: Type.Integer({ minimum: 1, default: 20 }),
  /** How often counts are reconciled through Redis. */
  RATE_LIMIT_SYNC_MS: Type.Integer({ minimum: 20, maximum: 10_000, default: 250 }),
  /** Where in Redis the gateways share their counts: every gateway of one deployment the same. */
  RATE_LIMIT_KEY_PREFIX: Type.String({ minLength: 1, maxLength: 200, default: 'parley:gateway:ratelimit:' }),
  /**
   * Where audit records wait on disk (the journal, and the recorder's spill file): a volume that
   * outlives the process (the chart's), so acknowledged requests' records survive a crash.
   */
  AUDIT_DIR: Type.String({ minLength: 1, default: join(tmpdir(), 'parley-gateway-audit') }),
  /** How often the journal rotates and delivered segments are deleted. */
  AUDIT_CHECKPOINT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
});
export type GatewayConfig = Static<typeof gatewaySettingsSchema>;

/** `a,b , c` -> [a, b, c]; empty entries dropped. */
export function listSetting(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}
