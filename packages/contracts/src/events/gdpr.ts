/**
 * GDPR data-subject rights, coordinated over Kafka on kafkaTopic(tenant, 'gdpr').
 *
 * Every service that holds personal data is a *participant*: it registers once with the
 * compliance service (PUT /v1/gdpr/participants/:name, see http/compliance.ts, or
 * compliance-client's registerParticipant), consumes the requests below from the tenant's gdpr
 * topic (consumer group `<service>.gdpr`), does its part and reports with
 * `gdpr.participant.reported.v1` on the same topic. A job completes when every participant named
 * in the request has reported `done`; one that does not answer keeps it open, visibly.
 *
 * Export data never travels on Kafka (a topic keeps it beyond erasure): a participant uploads its
 * part over HTTP (PUT /v1/tenants/:tenant/gdpr/jobs/:jobId/export-parts/:participant) and reports
 * the part's SHA-256. Erasure: delete or anonymise the person's data in your stores, then report
 * counts (never values). Check legal holds first (@parley/retention LegalHoldStore): a held person
 * is reported `blocked` with the hold ids.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from '../event-envelope.ts';

export const GDPR_PARTICIPANT_PATTERN = '^[a-z][a-z0-9-]{1,40}$';
export const GdprParticipantNameSchema = Type.String({ pattern: GDPR_PARTICIPANT_PATTERN });
export const GdprUserIdSchema = Type.String({ pattern: '^[A-Za-z0-9._@-]{1,128}$' });

export const GdprCoordinatedKindSchema = Type.Union([Type.Literal('export'), Type.Literal('erasure')]);
export type GdprCoordinatedKind = Static<typeof GdprCoordinatedKindSchema>;

const RequestPayload = Type.Object(
  {
    jobId: Type.String({ format: 'uuid' }),
    userId: GdprUserIdSchema,
    /** The participants expected to report; the others ignore the request. */
    participants: Type.Array(GdprParticipantNameSchema, { minItems: 1, maxItems: 50 }),
    requestedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type GdprRequestPayload = Static<typeof RequestPayload>;

export const GdprExportRequested = defineEvent('gdpr.export.requested.v1', RequestPayload);
export const GdprErasureRequested = defineEvent('gdpr.erasure.requested.v1', RequestPayload);

export const GdprParticipantReportSchema = Type.Object(
  {
    jobId: Type.String({ format: 'uuid' }),
    kind: GdprCoordinatedKindSchema,
    participant: GdprParticipantNameSchema,
    status: Type.Union([Type.Literal('done'), Type.Literal('failed'), Type.Literal('blocked')]),
    /** For people: what was done or why it failed. Never personal data. */
    detail: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Erasure: items deleted or anonymised per store/category. */
    counts: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' }), Type.Integer({ minimum: 0 })),
    ),
    /** Export: the uploaded part's digest and size, checked against the upload. */
    exportPart: Type.Optional(
      Type.Object(
        { sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), bytes: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
    /** Blocked: the legal holds that exempt the data from erasure. */
    holdIds: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type GdprParticipantReport = Static<typeof GdprParticipantReportSchema>;

export const GdprParticipantReported = defineEvent(
  'gdpr.participant.reported.v1',
  GdprParticipantReportSchema,
);

/** Announced by the compliance service when a job ends (completed, blocked or failed). */
export const GdprJobFinished = defineEvent(
  'gdpr.job.finished.v1',
  Type.Object(
    {
      jobId: Type.String({ format: 'uuid' }),
      kind: Type.Union([Type.Literal('export'), Type.Literal('erasure'), Type.Literal('rectification')]),
      userId: GdprUserIdSchema,
      status: Type.Union([Type.Literal('completed'), Type.Literal('blocked'), Type.Literal('failed')]),
    },
    { additionalProperties: false },
  ),
);
