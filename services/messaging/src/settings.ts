/** The messaging service's settings (read by @parley/kit from the environment), each with a local default. */
import { masterKeySettings } from '@parley/keyring';
import { kafkaSettings, mongoSettings, redisSettings, type Static, serviceSettings, Type } from '@parley/kit';

export const MESSAGING_PORT = 3004;

export const messagingSettingsSchema = Type.Object({
  ...serviceSettings(MESSAGING_PORT, 'messaging'),
  ...mongoSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...masterKeySettings,
  /**
   * How long a reserved seq may stay unwritten before a reader declares it void (its writer died
   * or stalled). A writer slower than this loses the seq and takes the next one: nothing is lost,
   * only a catch-up read waits up to this long behind a dead writer.
   */
  SEQ_VOID_AFTER_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  /**
   * A `changes` read of at most this many seqs fetches its log entries and messages by `_id`
   * (32 lookups at a time) instead of a range query and an `$in`: on FerretDB only `_id` lookups
   * avoid a scan of the tenant's whole collection (domain/history.ts). On MongoDB, whose indexes
   * serve the range query, set 0 (always the range query).
   */
  CHANGES_POINT_READ_SPAN: Type.Integer({ minimum: 0, maximum: 500, default: 256 }),
  /** How often changes a crash left half-applied are finished, and leftover events published. */
  REPAIR_INTERVAL_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 10, default: 1_000 }),
  /** The media service, which binds a send's attachments (only the sender's own uploads). */
  MEDIA_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3005' }),
  /** The compliance service, for GDPR participation (registration, export parts). */
  COMPLIANCE_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3008' }),
  /**
   * What a GDPR erasure does to the person's messages: `delete` them (tombstones, like a sender's
   * delete) or `anonymise` them (kept, attributed to "former member"). Deployment-wide until the
   * Tenant resource carries a per-tenant choice.
   */
  GDPR_ERASURE_MODE: Type.Union([Type.Literal('delete'), Type.Literal('anonymise')], { default: 'delete' }),
  GDPR_TOPIC_REFRESH_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
});

export type MessagingSettings = Static<typeof messagingSettingsSchema>;
