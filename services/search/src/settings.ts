/** The search service's settings (read by @parley/kit from the environment), each with a local default. */
import { masterKeySettings } from '@parley/keyring';
import {
  elasticsearchSettings,
  kafkaSettings,
  mongoSettings,
  redisSettings,
  type Static,
  serviceSettings,
  Type,
} from '@parley/kit';

export const SEARCH_PORT = 3006;

export const searchSettingsSchema = Type.Object({
  ...serviceSettings(SEARCH_PORT, 'search'),
  ...mongoSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...masterKeySettings,
  ...elasticsearchSettings,
  /** The messaging service: whose conversations a caller is a member of, asked at every search. */
  MESSAGING_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3004' }),
  /** The media service: the names of a message's files, read as the message is indexed. */
  MEDIA_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3005' }),
  /** How often the consumer looks for the messages topics of new tenants. */
  TOPIC_REFRESH_MS: Type.Integer({ minimum: 1_000, default: 30_000 }),
  /** The compliance service, for GDPR participation (registration, reports). */
  COMPLIANCE_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3008' }),
  GDPR_TOPIC_REFRESH_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
});

export type SearchSettings = Static<typeof searchSettingsSchema>;
