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
  /**
   * The MongoDB server that keeps the key-encryption keys (key-encryption-key-server.ts), apart
   * from the one holding the key records, so that no backup of the main server holds both.
   * Unset (local runs): database KEK_MONGO_DATABASE on MONGO_URL. Every process with a keyring
   * (auth, compliance, crypto, the operator) must be given the same.
   */
  KEK_MONGO_URL: Type.Optional(Type.String({ pattern: '^mongodb(\\+srv)?://' })),
  /** The database of the KEKs on that server (or on MONGO_URL). */
  KEK_MONGO_DATABASE: Type.String({ pattern: '^[A-Za-z0-9_-]{1,63}$', default: 'parley_platform_keks' }),
} satisfies TProperties;

/** The background rewrap's settings, for the process that runs it (the operator). */
export const keyRewrapSettings = {
  /**
   * How long after a rotation writers may still seal under the previous version (ms): at least
   * 1.5 x the largest KEY_CACHE_TTL_MS among the services that write encrypted fields (a tenant
   * key cached just before the rotation, then a data key drawn from it that seals for half a TTL). A rewrap is
   * complete only after a clean pass that started this long after the rotation.
   */
  KEY_REWRAP_SETTLE_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 60_000 }),
  /** Documents per rewrap batch (one progress save per batch). */
  KEY_REWRAP_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 200 }),
} satisfies TProperties;
