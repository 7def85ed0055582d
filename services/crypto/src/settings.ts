/** The crypto service's settings (read by @parley/kit from the environment), each with a local default. */
import { masterKeySettings } from '@parley/keyring';
import { kafkaSettings, mongoSettings, type Static, serviceSettings, Type } from '@parley/kit';

export const CRYPTO_PORT = 3009;

export const cryptoSettingsSchema = Type.Object({
  ...serviceSettings(CRYPTO_PORT, 'crypto'),
  ...mongoSettings,
  ...kafkaSettings,
  ...masterKeySettings,
  /** How often keys whose destruction waiting period ended are destroyed. */
  DESTRUCTION_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 1_000, default: 15 * 60_000 }),
  /** How often the outbox relay publishes key events. */
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 10, default: 250 }),
});

export type CryptoSettings = Static<typeof cryptoSettingsSchema>;
