/**
 * Key lifecycle: what the keyring announces on kafkaTopic(tenant, 'keys') when a tenant key (or a
 * person's subject key) changes. Every process that caches unwrapped keys (the crypto service,
 * and any service using packages/keyring directly) drops the key's cache entry on any of these,
 * so a rotation takes effect everywhere at once instead of after the cache TTL.
 */
import { Type } from 'typebox';
import { defineEvent } from '../event-envelope.ts';

const KeyName = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The key\'s name within the tenant: "default", or "subject:<userId>" for one person\'s key',
});
const Version = Type.Integer({ minimum: 1 });

export const KeyRotationReasonSchema = Type.Union([Type.Literal('requested'), Type.Literal('usage-ceiling')]);

export const CryptoKeyRotated = defineEvent(
  'crypto.key.rotated.v1',
  Type.Object(
    {
      keyName: KeyName,
      previousVersion: Version,
      newVersion: Version,
      reason: KeyRotationReasonSchema,
    },
    { additionalProperties: false },
  ),
);

export const CryptoKeyMinDecryptionVersionRaised = defineEvent(
  'crypto.key.min-decryption-version-raised.v1',
  Type.Object(
    { keyName: KeyName, previousMinimum: Version, minDecryptionVersion: Version },
    { additionalProperties: false },
  ),
);

export const CryptoKeyDestructionScheduled = defineEvent(
  'crypto.key.destruction-scheduled.v1',
  Type.Object(
    {
      keyName: KeyName,
      destroyAt: Type.String({ format: 'date-time' }),
      waitingDays: Type.Integer({ minimum: 7, maximum: 30 }),
    },
    { additionalProperties: false },
  ),
);

export const CryptoKeyDestructionCancelled = defineEvent(
  'crypto.key.destruction-cancelled.v1',
  Type.Object({ keyName: KeyName }, { additionalProperties: false }),
);

/** After this, data under the key is unreadable for good (crypto-shredding). */
export const CryptoKeyDestroyed = defineEvent(
  'crypto.key.destroyed.v1',
  Type.Object(
    { keyName: KeyName, destroyedAt: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
);

/** Every key event, for consumers that react to all of them alike (cache invalidation). */
export const CRYPTO_KEY_EVENTS = [
  CryptoKeyRotated,
  CryptoKeyMinDecryptionVersionRaised,
  CryptoKeyDestructionScheduled,
  CryptoKeyDestructionCancelled,
  CryptoKeyDestroyed,
] as const;
