/**
 * The settings a process using the keyring declares in its config schema (kit reads the env):
 * `loadConfigOrExit(Type.Object({ ...serviceSettings(3009), ...mongoSettings, ...masterKeySettings }))`.
 */
import { type TProperties, Type } from 'typebox';

export const masterKeySettings = {
  /** A directory of `<id>.key` files (a mounted Secret) or one such file. */
  MASTER_KEY_PATH: Type.String({ minLength: 1, default: '.parley/master-keys' }),
  /**
   * Local runs only: create a random master key when the directory holds none. Charts set it to
   * false so a missing Secret stops the pod instead of silently minting a key no one backed up.
   */
  MASTER_KEY_CREATE_IF_MISSING: Type.Boolean({ default: true }),
  /** How long unwrapped tenant keys stay in memory (ms). */
  KEY_CACHE_TTL_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 30_000 }),
} satisfies TProperties;
