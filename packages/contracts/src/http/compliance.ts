/**
 * HTTP bodies of the compliance service (port 3008). Every route is internal (service
 * credential in x-service-token) and names its tenant in the path: /v1/tenants/:tenant/...
 * The gateway maps its public /api/v1 routes onto these with the tenant from the caller's token.
 */
import { type Static, Type } from 'typebox';
import { AuditRecordInputSchema } from '../events/audit.ts';
import { GdprParticipantNameSchema, GdprUserIdSchema } from '../events/gdpr.ts';

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' });

// ---- audit -------------------------------------------------------------------------------------

export const SubmitAuditRecordsBodySchema = Type.Object(
  {
    /** The submitting service (recorded in each record's `source`). */
    source: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }),
    records: Type.Array(AuditRecordInputSchema, { minItems: 1, maxItems: 500 }),
  },
  { additionalProperties: false },
);
export type SubmitAuditRecordsBody = Static<typeof SubmitAuditRecordsBodySchema>;

export const SubmitAuditRecordsResponseSchema = Type.Object({
  results: Type.Array(
    Type.Object({ id: Type.String(), sequence: Type.Integer(), hash: Hash, duplicate: Type.Boolean() }),
  ),
});

/** A stored record as served: body fields, chain fields, and (for pruned ones) only the chain fields. */
export const StoredAuditRecordSchema = Type.Object({
  tenant: Type.String(),
  sequence: Type.Integer(),
  id: Type.String(),
  occurredAt: Type.Optional(Type.String()),
  appendedAt: Type.String(),
  source: Type.Optional(Type.String()),
  actor: Type.Optional(Type.Unknown()),
  action: Type.Optional(Type.String()),
  resource: Type.Optional(Type.Unknown()),
  outcome: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Unknown()),
  personal: Type.Optional(Type.Unknown()),
  requestId: Type.Optional(Type.String()),
  prevHash: Hash,
  hash: Hash,
  pruned: Type.Optional(Type.Boolean()),
  prunedAt: Type.Optional(Type.String()),
  /** Sequence of the prune record (action audit.records.pruned) that names this pruned one. */
  prunedBy: Type.Optional(Type.Integer()),
  /** Only with ?reveal=true: personal fields opened, or null where the subject was erased. */
  revealed: Type.Optional(Type.Unknown()),
});

export const SignedCheckpointSchema = Type.Object({
  log: Type.String(),
  treeSize: Type.Integer({ minimum: 1 }),
  rootHash: Hash,
  issuedAt: Type.String(),
  keyId: Type.String(),
  signature: Type.String(),
});

/**
 * The public keys that sign audit checkpoints and export receipts (compliance's
 * `GET /v1/audit/signing-keys`, the gateway's `GET /api/v1/tenants/:tenant/audit/signing-keys`):
 * base64 SPKI DER and PEM, earlier keys still listed so older checkpoints verify.
 */
export const AuditSigningKeysSchema = Type.Object({
  current: Type.String(),
  keys: Type.Array(
    Type.Object({
      keyId: Type.String(),
      algorithm: Type.String(),
      publicKey: Type.String(),
      pem: Type.String(),
    }),
  ),
});

export const AuditRecordsQuerySchema = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: -1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    action: Type.Optional(Type.String({ maxLength: 120 })),
    actorId: Type.Optional(Type.String({ maxLength: 200 })),
    subject: Type.Optional(GdprUserIdSchema),
    reveal: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const ProofBundleQuerySchema = Type.Object(
  {
    /** Comma-separated sequence numbers to prove (at most 100). */
    sequences: Type.Optional(Type.String({ pattern: '^[0-9]+(,[0-9]+){0,99}$' })),
    /** A checkpoint size the verifier already holds: adds a consistency proof from it. */
    since: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Include every record, for a full-chain check offline (at most 100 000 records). */
    full: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

// ---- legal holds -------------------------------------------------------------------------------

export const PlaceLegalHoldBodySchema = Type.Object(
  {
    scope: Type.Union([
      Type.Object({ kind: Type.Literal('tenant') }, { additionalProperties: false }),
      Type.Object(
        { kind: Type.Literal('person'), userId: GdprUserIdSchema },
        { additionalProperties: false },
      ),
      Type.Object(
        { kind: Type.Literal('conversation'), conversationId: Type.String({ minLength: 1, maxLength: 200 }) },
        { additionalProperties: false },
      ),
    ]),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    setBy: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type PlaceLegalHoldBody = Static<typeof PlaceLegalHoldBodySchema>;

export const LiftLegalHoldBodySchema = Type.Object(
  {
    liftedBy: Type.String({ minLength: 1, maxLength: 200 }),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);

export const LegalHoldViewSchema = Type.Object({
  id: Type.String(),
  scope: Type.Unknown(),
  reason: Type.String(),
  setBy: Type.String(),
  setAt: Type.String(),
  liftedAt: Type.Optional(Type.String()),
  liftedBy: Type.Optional(Type.String()),
  liftReason: Type.Optional(Type.String()),
});

// ---- GDPR --------------------------------------------------------------------------------------

export const GdprSubjectRequestBodySchema = Type.Object(
  { userId: GdprUserIdSchema, requestedBy: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type GdprSubjectRequestBody = Static<typeof GdprSubjectRequestBodySchema>;

export const ConsentChangeBodySchema = Type.Object(
  {
    userId: GdprUserIdSchema,
    purpose: Type.String({ pattern: '^[a-z][a-z0-9._-]{0,63}$' }),
    granted: Type.Boolean(),
    /** Where the choice was made, e.g. signup-form, settings-page, support-ticket. */
    source: Type.String({ minLength: 1, maxLength: 100 }),
    recordedBy: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ConsentChangeBody = Static<typeof ConsentChangeBodySchema>;

export const RectificationBodySchema = Type.Object(
  {
    userId: GdprUserIdSchema,
    participant: GdprParticipantNameSchema,
    field: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$' }),
    /** The values are hashed (salted SHA-256) on arrival and never stored. */
    before: Type.String({ maxLength: 10_000 }),
    after: Type.String({ maxLength: 10_000 }),
    requestedBy: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type RectificationBody = Static<typeof RectificationBodySchema>;

export const ExportPartBodySchema = Type.Object(
  { data: Type.Unknown({ description: 'Everything the participant holds about the person, as JSON' }) },
  { additionalProperties: false },
);

export const GdprJobViewSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  userId: Type.String(),
  status: Type.String(),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  updatedAt: Type.String(),
  completedAt: Type.Optional(Type.String()),
  participants: Type.Unknown(),
  holdIds: Type.Optional(Type.Array(Type.String())),
  exemption: Type.Optional(Type.String()),
  receipt: Type.Optional(Type.Unknown()),
  rectification: Type.Optional(Type.Unknown()),
});

export const RegisterParticipantBodySchema = Type.Object(
  {
    handles: Type.Array(Type.Union([Type.Literal('export'), Type.Literal('erasure')]), {
      minItems: 1,
      uniqueItems: true,
    }),
    description: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type RegisterParticipantBody = Static<typeof RegisterParticipantBodySchema>;

// ---- retention ---------------------------------------------------------------------------------

export const RetentionRunRequestSchema = Type.Object(
  { policy: Type.String({ minLength: 1, maxLength: 253 }), dryRun: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
