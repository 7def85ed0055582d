/** The integrations service's settings (read by @parley/kit from the environment), each with a local default. */
import { masterKeySettings } from '@parley/keyring';
import { kafkaSettings, mongoSettings, redisSettings, type Static, serviceSettings, Type } from '@parley/kit';

// 3012: 3010 is the operator's, 3011 the notifier's.
export const INTEGRATIONS_PORT = 3012;

export const integrationsSettingsSchema = Type.Object({
  ...serviceSettings(INTEGRATIONS_PORT, 'integrations'),
  ...mongoSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...masterKeySettings,
  /** The messaging service: bots post and read there, as their own user id. */
  MESSAGING_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3004' }),
  /** How often the outgoing-webhook consumer looks for the messages and members topics of new tenants. */
  TOPIC_REFRESH_MS: Type.Integer({ minimum: 1_000, default: 30_000 }),
  /**
   * Networks outgoing webhooks may reach although they are loopback, private, link-local or
   * otherwise not public (CIDRs, comma-separated, e.g. `127.0.0.1/32,10.20.0.0/16`). Empty: only
   * public addresses. Checked when an endpoint is created and again at every connection, so a
   * name that later resolves to an internal address is refused too (SSRF).
   */
  WEBHOOK_ALLOWED_NETWORKS: Type.String({ default: '' }),
  /** One delivery attempt's time limit (connect, send, the receiver's answer). */
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  /** Attempts per delivery before it is marked failed (the first included); replay starts anew. */
  WEBHOOK_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 12 }),
  /** The first retry's delay; each further one doubles (with jitter) up to WEBHOOK_RETRY_MAX_MS. */
  WEBHOOK_RETRY_INITIAL_MS: Type.Integer({ minimum: 10, default: 1_000 }),
  WEBHOOK_RETRY_MAX_MS: Type.Integer({ minimum: 10, default: 600_000 }),
  /** Consecutive failures of one endpoint that open its breaker, and how long it stays open. */
  WEBHOOK_BREAKER_FAILURES: Type.Integer({ minimum: 1, default: 5 }),
  WEBHOOK_BREAKER_OPEN_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  /** How often due deliveries are looked for (each tenant with endpoints). */
  WEBHOOK_SWEEP_MS: Type.Integer({ minimum: 20, default: 500 }),
  /** Deliveries in flight at once, across endpoints. */
  WEBHOOK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
});

export type IntegrationsSettings = Static<typeof integrationsSettingsSchema>;
