/**
 * GDPR data-subject rights: export and erasure jobs (coordinated with every participant), the
 * export archive and its signed receipt, rectifications (hashes, never values), consents.
 */
import {
  ConsentChangeBodySchema,
  ExportPartBodySchema,
  GdprJobViewSchema,
  GdprParticipantNameSchema,
  GdprSubjectRequestBodySchema,
  GdprUserIdSchema,
  RectificationBodySchema,
} from '@parley/contracts';
import { ProblemSchema, problems, routePlugin } from '@parley/kit';
import { Type } from 'typebox';
import type { GdprJob } from '../store/gdpr-collections.ts';
import { type RouteDeps, TenantParams } from './route-context.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
const JobParams = Type.Object({
  tenant: TenantParams.properties.tenant,
  jobId: Type.String({ format: 'uuid' }),
});

export function jobView(job: GdprJob) {
  const { _id, round: _round, rectification, ...rest } = job;
  // The salt stays inside: with it and a guess, a before/after hash could be tested offline.
  const shown = rectification
    ? {
        rectification: {
          participant: rectification.participant,
          field: rectification.field,
          beforeHash: rectification.beforeHash,
          afterHash: rectification.afterHash,
        },
      }
    : {};
  return { id: _id, ...rest, ...shown };
}

export const gdprRoutes = routePlugin<RouteDeps>((app, { gdpr, consents }) => {
  app.post(
    '/gdpr/exports',
    {
      schema: {
        description: 'Starts an export of everything Parley holds about a person',
        params: TenantParams,
        body: GdprSubjectRequestBodySchema,
        response: { 202: GdprJobViewSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          jobView(
            await gdpr.requestExport(request.params.tenant, request.body.userId, request.body.requestedBy),
          ),
        ),
  );

  app.post(
    '/gdpr/erasures',
    {
      schema: {
        description:
          'Starts an erasure (crypto-shredding plus every participant). Under a legal hold the job is answered blocked, with the holds as its legal exemption',
        params: TenantParams,
        body: GdprSubjectRequestBodySchema,
        response: { 202: GdprJobViewSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          jobView(
            await gdpr.requestErasure(request.params.tenant, request.body.userId, request.body.requestedBy),
          ),
        ),
  );

  app.post(
    '/gdpr/rectifications',
    {
      schema: {
        description:
          'Records a rectification done by a participant; before and after are kept as salted hashes only',
        params: TenantParams,
        body: RectificationBodySchema,
        response: { 201: GdprJobViewSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(jobView(await gdpr.recordRectification(request.params.tenant, request.body))),
  );

  app.get(
    '/gdpr/jobs',
    {
      schema: {
        params: TenantParams,
        querystring: Type.Object(
          {
            userId: Type.Optional(GdprUserIdSchema),
            status: Type.Optional(
              Type.Union(['in-progress', 'blocked', 'completed', 'failed'].map((s) => Type.Literal(s))),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ jobs: Type.Array(GdprJobViewSchema) }), ...errors },
      },
    },
    async (request) => ({ jobs: (await gdpr.list(request.params.tenant, request.query)).map(jobView) }),
  );

  app.get(
    '/gdpr/jobs/:jobId',
    { schema: { params: JobParams, response: { 200: GdprJobViewSchema, ...errors } } },
    async (request) => jobView(await gdpr.get(request.params.tenant, request.params.jobId)),
  );

  app.put(
    '/gdpr/jobs/:jobId/export-parts/:participant',
    {
      schema: {
        description: "A participant's part of an export (upload, then report its digest on the gdpr topic)",
        params: Type.Object({ ...JobParams.properties, participant: GdprParticipantNameSchema }),
        body: ExportPartBodySchema,
        response: { 200: Type.Object({ sha256: Type.String(), bytes: Type.Integer() }), ...errors },
      },
    },
    async (request) =>
      gdpr.uploadExportPart(
        request.params.tenant,
        request.params.jobId,
        request.params.participant,
        request.body.data,
      ),
  );

  app.get(
    '/gdpr/jobs/:jobId/archive',
    {
      schema: {
        description: 'The export archive (zip) of a completed export',
        params: JobParams,
        // The zip, documented as such (as the gateway's download route documents it).
        response: {
          200: {
            description: 'The export archive',
            content: {
              'application/zip': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { zip, fileName } = await gdpr.archive(request.params.tenant, request.params.jobId);
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .send(Buffer.from(zip));
    },
  );

  app.get(
    '/gdpr/jobs/:jobId/receipt',
    { schema: { params: JobParams, response: { 200: Type.Unknown(), ...errors } } },
    async (request) => {
      const job = await gdpr.get(request.params.tenant, request.params.jobId);
      if (!job.receipt) throw problems.notFound(`Job ${job._id} has no receipt (${job.kind}, ${job.status})`);
      return job.receipt;
    },
  );

  app.post(
    '/gdpr/consents',
    {
      schema: {
        description: 'Records a consent being granted or withdrawn (kept with its history)',
        params: TenantParams,
        body: ConsentChangeBodySchema,
        response: { 201: Type.Unknown(), ...errors },
      },
    },
    async (request, reply) => {
      const { _id, ...consent } = await consents.record(request.params.tenant, request.body);
      return reply.code(201).send({ id: _id, ...consent });
    },
  );

  app.get(
    '/gdpr/consents/:userId',
    {
      schema: {
        params: Type.Object({ tenant: TenantParams.properties.tenant, userId: GdprUserIdSchema }),
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request) => ({
      consents: (await consents.forUser(request.params.tenant, request.params.userId)).map(
        ({ _id, ...c }) => ({ id: _id, ...c }),
      ),
    }),
  );
});
