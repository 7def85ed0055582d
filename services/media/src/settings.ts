/** The media service's settings (read by @parley/kit from the environment), each with a local default. */
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
import { DEFAULT_ALLOWED_TYPES } from './domain/content-sniffer.ts';

export const MEDIA_PORT = 3005;

/** The link secret's public default, for local runs only. */
export const DEVELOPMENT_LINK_SECRET = 'local-development-media-link-secret-0123456789';

export const mediaSettingsSchema = Type.Object({
  ...serviceSettings(MEDIA_PORT, 'media'),
  ...mongoSettings,
  ...redisSettings,
  ...s3Settings,
  ...kafkaSettings,
  ...masterKeySettings,
  /** The messaging service, which decides who is a member of a conversation. */
  MESSAGING_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3004' }),
  /** No plan's per-file limit exceeds this (deployment-wide ceiling). */
  MEDIA_MAX_FILE_BYTES: Type.Integer({ minimum: 1, default: 2 * 1024 * 1024 * 1024 }),
  /** The content types accepted (comma-separated), sniffed from the bytes. Deployment-wide until the Tenant carries its own list. */
  MEDIA_ALLOWED_TYPES: Type.String({ default: DEFAULT_ALLOWED_TYPES.join(',') }),
  /** Plaintext bytes per encrypted frame (a range reads whole frames). */
  MEDIA_CHUNK_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 256 * 1024 }),
  /** S3 multipart part size: an upload holds at most two parts in memory (S3's minimum is 5 MiB). */
  MEDIA_PART_BYTES: Type.Integer({ minimum: 5 * 1024 * 1024, default: 8 * 1024 * 1024 }),
  /** How long an upload may stay unfinished before the sweeper takes it for abandoned (its process died). */
  MEDIA_ABANDONED_AFTER_MS: Type.Integer({ minimum: 1000, default: 6 * 60 * 60 * 1000 }),
  MEDIA_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 100, default: 10 * 60 * 1000 }),
  /** How long a finished upload may wait for a message to attach it before the sweeper removes it. */
  MEDIA_UNATTACHED_TTL_MS: Type.Integer({ minimum: 1000, default: 24 * 60 * 60 * 1000 }),
  /** Thumbnails (workers/thumbnails.ts): the most pixels an image may claim to be decoded at all
   * (sharp's limitInputPixels; a decompression bomb claims far more), the largest original read,
   * the thumbnail's longer side, and how often the worker looks for new images. */
  MEDIA_THUMBNAIL_MAX_PIXELS: Type.Integer({ minimum: 1, default: 40_000_000 }),
  MEDIA_THUMBNAIL_MAX_INPUT_BYTES: Type.Integer({ minimum: 1, default: 50 * 1024 * 1024 }),
  MEDIA_THUMBNAIL_EDGE: Type.Integer({ minimum: 16, maximum: 2048, default: 320 }),
  MEDIA_THUMBNAIL_INTERVAL_MS: Type.Integer({ minimum: 100, default: 2_000 }),
  /** How often the attachments consumer looks for new tenants' messages topics. */
  TOPIC_REFRESH_MS: Type.Integer({ minimum: 1_000, default: 30_000 }),
  /**
   * The HMAC key of signed download links (domain/download-links.ts), at least 32 characters,
   * the same in every replica. The default is public: refused outside PARLEY_ENV=development.
   */
  MEDIA_LINK_SECRET: Type.String({ minLength: 32, default: DEVELOPMENT_LINK_SECRET }),
  /** How long a signed link is valid (seconds): short, since whoever holds the URL may use it. */
  MEDIA_LINK_TTL_S: Type.Integer({ minimum: 10, maximum: 3600, default: 300 }),
  /** The compliance service, for GDPR participation (registration, export parts). */
  COMPLIANCE_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3008' }),
  /**
   * What a GDPR erasure does to the person's files: `delete` them, or `anonymise` (kept in their
   * conversations, attributed to `former-member`, unnamed). Set it as messaging's is set.
   */
  GDPR_ERASURE_MODE: Type.Union([Type.Literal('delete'), Type.Literal('anonymise')], { default: 'delete' }),
  GDPR_TOPIC_REFRESH_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
});

/** The link secret a deployment may use: its own, never the public default (ConfigError-like message). */
export function linkSecretOf(settings: Pick<MediaSettings, 'MEDIA_LINK_SECRET' | 'PARLEY_ENV'>): string {
  if (settings.PARLEY_ENV !== 'development' && settings.MEDIA_LINK_SECRET === DEVELOPMENT_LINK_SECRET)
    throw new Error(
      'MEDIA_LINK_SECRET is the public development default; set a secret of your own (or PARLEY_ENV=development for a local run)',
    );
  return settings.MEDIA_LINK_SECRET;
}

export type MediaSettings = Static<typeof mediaSettingsSchema>;
