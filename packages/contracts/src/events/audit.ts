/**
 * Audit records: what any Parley service (or the operator) submits to the compliance service,
 * on Kafka topic kafkaTopic(tenant, 'audit') or over HTTP (POST /v1/audit/records).
 *
 * Personal data is never put in `metadata`. It goes in `personal`, one entry per data subject,
 * because the compliance service stores each entry encrypted under that subject's key
 * (keyring `subject:<userId>`) and hashes the ciphertext: crypto-shredding the subject's key
 * erases them from the log while every hash, Merkle proof and checkpoint still verifies.
 * Ids (actor.id, resource.id) are pseudonymous identifiers and stay in clear so the log can be
 * searched; e-mail addresses, names, IP addresses and user agents are personal.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from '../event-envelope.ts';

const Identifier = Type.String({ minLength: 1, maxLength: 200 });

export const AuditActorSchema = Type.Object(
  {
    type: Type.Union([
      Type.Literal('user'),
      Type.Literal('service'),
      Type.Literal('operator'),
      Type.Literal('system'),
      Type.Literal('anonymous'),
    ]),
    id: Identifier,
  },
  { additionalProperties: false },
);
export type AuditActor = Static<typeof AuditActorSchema>;

export const AuditResourceSchema = Type.Object(
  {
    type: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'e.g. user, session, conversation, message',
    }),
    id: Type.Optional(Identifier),
  },
  { additionalProperties: false },
);
export type AuditResource = Static<typeof AuditResourceSchema>;

export const AuditOutcomeSchema = Type.Union([
  Type.Literal('success'),
  Type.Literal('failure'),
  Type.Literal('denied'),
  Type.Literal('error'),
]);
export type AuditOutcome = Static<typeof AuditOutcomeSchema>;

/** JSON scalar values only: a metadata field must have one canonical (RFC 8785) encoding. */
const AuditScalar = Type.Union([
  Type.String({ maxLength: 4000 }),
  Type.Number(),
  Type.Boolean(),
  Type.Null(),
]);

export const AuditMetadataSchema = Type.Record(
  // No '.' or '$' in keys: records are stored as Mongo documents, field for field.
  Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' }),
  Type.Union([AuditScalar, Type.Array(AuditScalar, { maxItems: 100 })]),
  { maxProperties: 50 },
);

// The subject's key is keyring's `subject:<userId>`: the id must fit a key name.
const AuditSubjectSchema = Type.String({
  pattern: '^[A-Za-z0-9._@-]{1,128}$',
  description: 'The data subject (a user id)',
});

/** The personal fields of one data subject (e-mail, ip, userAgent, name, ...), in the clear. */
export const AuditPlainPersonalEntrySchema = Type.Object(
  { subject: AuditSubjectSchema, fields: AuditMetadataSchema },
  { additionalProperties: false },
);

/**
 * The same fields already sealed by the producer (keyring `encrypt(tenant, 'audit.pii',
 * JSON.stringify(fields), { keyName: 'subject:<subject>' })`, base64). Use this form for records
 * that travel on Kafka: a topic keeps its messages for its retention period, and only ciphertext
 * under the subject's key is erased by crypto-shredding. compliance-client's
 * sealPersonalFields() produces it. The compliance service checks it opens before storing it.
 */
export const AuditSealedPersonalEntrySchema = Type.Object(
  {
    subject: AuditSubjectSchema,
    keyName: Type.String({ pattern: '^subject:[A-Za-z0-9._@-]{1,128}$' }),
    ciphertext: Type.String({ pattern: '^[A-Za-z0-9+/]+={0,2}$', maxLength: 65_536 }),
  },
  { additionalProperties: false },
);

export const AuditPersonalEntrySchema = Type.Union([
  AuditPlainPersonalEntrySchema,
  AuditSealedPersonalEntrySchema,
]);
export type AuditPersonalEntry = Static<typeof AuditPersonalEntrySchema>;
export type AuditSealedPersonalEntry = Static<typeof AuditSealedPersonalEntrySchema>;

/** The keyring purpose personal fields of audit records are sealed for. */
export const AUDIT_PII_PURPOSE = 'audit.pii';

export const AuditRecordInputSchema = Type.Object(
  {
    /** Producer-chosen id; the compliance service appends each id once (idempotent retries). */
    id: Type.String({ format: 'uuid' }),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: AuditActorSchema,
    action: Type.String({
      pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$',
      maxLength: 120,
      description: 'Dotted verb, e.g. auth.login.succeeded, gdpr.erasure.completed',
    }),
    resource: AuditResourceSchema,
    outcome: AuditOutcomeSchema,
    metadata: Type.Optional(AuditMetadataSchema),
    personal: Type.Optional(Type.Array(AuditPersonalEntrySchema, { maxItems: 5 })),
    requestId: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type AuditRecordInput = Static<typeof AuditRecordInputSchema>;

/** Published by any service to kafkaTopic(tenant, 'audit'); the compliance service appends it. */
export const AuditRecordSubmitted = defineEvent('audit.record.submitted.v1', AuditRecordInputSchema);

/** Published by the compliance service when it signs a checkpoint (tree size, root). */
export const AuditCheckpointSigned = defineEvent(
  'audit.checkpoint.signed.v1',
  Type.Object(
    {
      treeSize: Type.Integer({ minimum: 1 }),
      rootHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      issuedAt: Type.String({ format: 'date-time' }),
      keyId: Type.String(),
      signature: Type.String(),
    },
    { additionalProperties: false },
  ),
);
