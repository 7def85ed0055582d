/**
 * HTTP bodies of the crypto service (port 3009), Parley's internal KMS, shared by the service
 * (validation, OpenAPI) and @parley/crypto-client. Every route is internal (service credential)
 * and names the tenant in the path: `/v1/tenants/:tenant/...`. Binary values travel as base64;
 * ciphertexts are the keyring's self-describing format (packages/keyring/README.md).
 */
import { type Static, Type } from 'typebox';

/** "default", or "subject:<userId>" for one person's key (crypto-shredding). */
export const KEY_NAME_PATTERN = '^[a-z][a-z0-9-]{0,62}(:[A-Za-z0-9._@-]{1,128})?$';
/** What the data is for, bound into every ciphertext: "messages.body", "audit.pii", ... */
export const PURPOSE_PATTERN = '^[a-z][a-z0-9._-]{0,63}$';

export const KeyNameSchema = Type.String({ pattern: KEY_NAME_PATTERN, maxLength: 192 });
export const PurposeSchema = Type.String({ pattern: PURPOSE_PATTERN, maxLength: 64 });
const Base64 = (maxLength: number, description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength, description });
/** 64 KiB of plaintext at most: bigger payloads use a data key (envelope encryption) instead. */
export const PlaintextSchema = Base64(87_384, 'base64, at most 64 KiB decoded');
export const CiphertextSchema = Base64(87_800, 'base64 of the keyring ciphertext format');
export const AadSchema = Base64(2_732, 'base64 additional authenticated data, at most 2 KiB');
const Version = Type.Integer({ minimum: 1 });

export const KeyVersionInfoSchema = Type.Object({
  version: Version,
  createdAt: Type.String({ format: 'date-time' }),
  masterKeyId: Type.String(),
  usage: Type.Integer({ minimum: 0 }),
  available: Type.Boolean(),
});

export const KeyStateSchema = Type.Union([
  Type.Literal('enabled'),
  Type.Literal('pending-destruction'),
  Type.Literal('destroyed'),
]);

export const KeyMetadataSchema = Type.Object({
  tenant: Type.String(),
  keyName: Type.String(),
  state: KeyStateSchema,
  primaryVersion: Version,
  minDecryptionVersion: Version,
  versions: Type.Array(KeyVersionInfoSchema),
  destroyAt: Type.Optional(Type.String({ format: 'date-time' })),
  waitingDays: Type.Optional(Type.Integer()),
  destroyedAt: Type.Optional(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type KeyMetadataBody = Static<typeof KeyMetadataSchema>;

export const KeyListSchema = Type.Object({ keys: Type.Array(KeyMetadataSchema) });

export const RotateKeyRequestSchema = Type.Object(
  {
    requestKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'Idempotency key: calls with the same one rotate once (e.g. a schedule slot)',
      }),
    ),
  },
  { additionalProperties: false },
);
export const RotateKeyResponseSchema = Type.Object({
  version: Version,
  rotated: Type.Boolean(),
  key: KeyMetadataSchema,
});

export const MinDecryptionVersionRequestSchema = Type.Object(
  { minDecryptionVersion: Version },
  { additionalProperties: false },
);

export const ScheduleDestructionRequestSchema = Type.Object(
  { waitingDays: Type.Integer({ minimum: 7, maximum: 30 }) },
  { additionalProperties: false },
);

export const GenerateDataKeyRequestSchema = Type.Object(
  { purpose: PurposeSchema, keyName: Type.Optional(KeyNameSchema) },
  { additionalProperties: false },
);
export const GenerateDataKeyResponseSchema = Type.Object({
  plaintext: Type.String({ description: 'base64 of the 32-byte data key: use, never store' }),
  wrapped: Type.String({ description: 'base64 of the wrapped data key: store this' }),
  keyName: Type.String(),
  keyVersion: Version,
});
export type GenerateDataKeyResponse = Static<typeof GenerateDataKeyResponseSchema>;

export const DecryptDataKeyRequestSchema = Type.Object(
  { purpose: PurposeSchema, wrapped: CiphertextSchema },
  { additionalProperties: false },
);
export const DecryptDataKeyResponseSchema = Type.Object({ plaintext: Type.String() });

export const EncryptRequestSchema = Type.Object(
  {
    purpose: PurposeSchema,
    plaintext: PlaintextSchema,
    aad: Type.Optional(AadSchema),
    keyName: Type.Optional(KeyNameSchema),
  },
  { additionalProperties: false },
);
export const EncryptResponseSchema = Type.Object({ ciphertext: Type.String(), keyVersion: Version });

export const DecryptRequestSchema = Type.Object(
  { purpose: PurposeSchema, ciphertext: CiphertextSchema, aad: Type.Optional(AadSchema) },
  { additionalProperties: false },
);
export const DecryptResponseSchema = Type.Object({ plaintext: Type.String() });

export const RewrapRequestSchema = DecryptRequestSchema;
export const RewrapResponseSchema = Type.Object({
  ciphertext: Type.String(),
  keyVersion: Version,
  rewrapped: Type.Boolean({ description: 'False when it was already under the primary version' }),
});
