/** The compliance service's settings (read by @parley/kit from the environment), each with a local default. */
import { masterKeySettings } from '@parley/keyring';
import {
  kafkaSettings,
  mongoSettings,
  redisSettings,
  type Static,
  s3Settings,
  serviceSettings,
  Type,
} from '@parley/kit';

export const COMPLIANCE_PORT = 3008;

export const complianceSettingsSchema = Type.Object({
  ...serviceSettings(COMPLIANCE_PORT, 'compliance'),
  ...mongoSettings,
  ...redisSettings,
  ...kafkaSettings,
  /** The tenants' buckets, for retention rules on media. */
  ...s3Settings,
  ...masterKeySettings,
  /** Ed25519 private key (PKCS#8 PEM) that signs checkpoints and export receipts; a mounted Secret in production. */
  AUDIT_SIGNING_KEY_PATH: Type.String({ minLength: 1, default: '.parley/compliance/audit-signing-key.pem' }),
  /** Local runs only: create the signing key when the file is missing. Charts set false. */
  AUDIT_SIGNING_KEY_CREATE_IF_MISSING: Type.Boolean({ default: true }),
  /**
   * After a rotation: a file of PEM blocks, the public keys (or retired private keys) that signed
   * before, still trusted for old checkpoints. Empty: none.
   */
  AUDIT_PREVIOUS_KEYS_PATH: Type.String({ default: '' }),
  /** POST /audit/checkpoints (and proofs of records no checkpoint covers) sign at most this often per tenant. */
  CHECKPOINT_FORCED_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 5_000 }),
  /** Sign a checkpoint after this many new records... */
  CHECKPOINT_EVERY_RECORDS: Type.Integer({ minimum: 1, default: 1000 }),
  /** ...or when the last one is this old and records arrived since. */
  CHECKPOINT_EVERY_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /** Kafka ingestion: append when this many records are waiting (the original platform's 100)... */
  INGEST_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  /** ...or when the oldest has waited this long (the original platform's 5 s). */
  INGEST_MAX_WAIT_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 5_000 }),
  /** How often new tenants' audit and gdpr topics are looked for. */
  TOPIC_REFRESH_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  /** Erasure crypto-shreds the subject key after this waiting period (keyring allows 7..30 days). */
  ERASURE_KEY_WAITING_DAYS: Type.Integer({ minimum: 7, maximum: 30, default: 7 }),
  /** Export archives are deleted this long after they were made (the receipt stays). */
  EXPORT_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  /** How often GDPR events leave through the outbox (each pass reads every tenant: not too often). */
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 10, default: 1000 }),
  /** How often the service's own audit records a crash left unappended are looked for (every tenant). */
  AUDIT_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /** Retention purges: items per batch and the pause between batches. */
  RETENTION_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  RETENTION_PAUSE_MS: Type.Integer({ minimum: 0, maximum: 10_000, default: 20 }),
});

export type ComplianceSettings = Static<typeof complianceSettingsSchema>;
