/** The notifier's settings (read by @parley/kit from the environment), each with a local default. */
import { masterKeySettings } from '@parley/keyring';
import { kafkaSettings, mongoSettings, redisSettings, type Static, serviceSettings, Type } from '@parley/kit';

// 3011, not the 3010 of ARCHITECTURE.md's table: the operator took 3010 first (its chart too).
export const NOTIFIER_PORT = 3011;

export const notifierSettingsSchema = Type.Object({
  ...serviceSettings(NOTIFIER_PORT, 'notifier'),
  ...mongoSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...masterKeySettings,
  /** The SMTP server mail is handed to (the local stack's Mailpit by default). */
  SMTP_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  SMTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 11025 }),
  /** Implicit TLS (port 465); otherwise STARTTLS is used whenever the server offers it. */
  SMTP_SECURE: Type.Boolean({ default: false }),
  /** Refuse to send over a connection without TLS (production relays); the local stack has none. */
  SMTP_REQUIRE_TLS: Type.Boolean({ default: false }),
  SMTP_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  SMTP_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  /** The envelope sender and From address; a tenant's name becomes its display name. */
  MAIL_FROM_ADDRESS: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', default: 'no-reply@parley.localhost' }),
  /** Where the links in mail point: the web client (served by the gateway at `/`). */
  WEB_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3000' }),
  /** Attempts per mail before it is dead-lettered (the first included). */
  MAIL_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 6 }),
  /** The first retry's delay; each further one doubles, up to MAIL_RETRY_MAX_MS. */
  MAIL_RETRY_INITIAL_MS: Type.Integer({ minimum: 1, default: 500 }),
  MAIL_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 30_000 }),
  /** How often the consumer looks for the notifications topics of new tenants. */
  TOPIC_REFRESH_MS: Type.Integer({ minimum: 1_000, default: 30_000 }),
});

export type NotifierSettings = Static<typeof notifierSettingsSchema>;
