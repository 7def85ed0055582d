/**
 * The compliance service's capabilities for a tenant's people, through the gateway. The
 * compliance service trusts the gateway's service credential and the tenant in its path, and
 * knows nothing of users: so the gateway is where roles are checked (admins and compliance
 * officers read and verify the audit log, place and lift legal holds, manage retention; only a
 * compliance officer may reveal personal fields), where the actor of a hold is taken from the
 * token rather than the body, and where a person's GDPR export is bound to that person.
 */
import {
  AuditRecordsQuerySchema,
  AuditSigningKeysSchema,
  GdprJobViewSchema,
  LegalHoldViewSchema,
  LiftLegalHoldBodySchema,
  PlaceLegalHoldBodySchema,
  ProofBundleQuerySchema,
  RetentionRunRequestSchema,
  SignedCheckpointSchema,
  StoredAuditRecordSchema,
} from '@parley/contracts';
import { ProblemError, problems, type ServiceApp, Type } from '@parley/kit';
import { RetentionPolicySchema } from '@parley/retention';
import type { ServiceHttp } from '@parley/service-http';
import { TenantIdSchema } from '@parley/tenancy';
import type { FastifyRequest } from 'fastify';
import { callUpstream, sendAnswer } from '../upstream/upstream-call.ts';
import {
  API_PREFIX,
  guardsFor,
  type ProxyContext,
  type ProxyRouteDefinition,
  type Role,
  registerProxyRoute,
} from './proxy-route.ts';

const OFFICERS: readonly Role[] = ['admin', 'compliance-officer'];
const Hashes = Type.Array(Type.String());
const SequenceParams = Type.Object({ sequence: Type.Integer({ minimum: 0 }) });
const Range = (name: string) =>
  Type.Object(
    {
      [name]: Type.Optional(Type.Integer({ minimum: name === 'after' ? 0 : 1 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    },
    { additionalProperties: false },
  );
// A hold's body as compliance validates it (packages/contracts), less the actor the gateway adds
// from the caller: a copy of the scope here had drifted (any user id, where compliance takes only
// ids that fit a key name), so the public document promised more than the service accepted.
const PlaceHoldBody = Type.Object(
  { scope: PlaceLegalHoldBodySchema.properties.scope, reason: PlaceLegalHoldBodySchema.properties.reason },
  { additionalProperties: false },
);
const LiftHoldBody = Type.Object(
  { reason: LiftLegalHoldBodySchema.properties.reason },
  { additionalProperties: false },
);
// The policy as the operator stores it (packages/retention), its name from the path.
const RetentionPolicyBody = Type.Omit(RetentionPolicySchema, ['name']);
const JobParams = Type.Object({ jobId: Type.String({ format: 'uuid' }) });

const actorOf = (claims: { sub: string } | undefined) => `user:${claims?.sub ?? 'unknown'}`;

export function registerComplianceRoutes(
  app: ServiceApp,
  context: ProxyContext,
  compliance: ServiceHttp,
): void {
  const tenantPath = (tenant: string, path: string) => `/v1/tenants/${tenant}${path}`;
  const officer = {
    access: OFFICERS,
    upstream: compliance,
  } as const;
  const audit = { ...officer, tags: ['audit'] };
  const same =
    (path: string) =>
    ({ tenant, query }: { tenant: string; query: Record<string, unknown> }) => ({
      path: tenantPath(tenant, path),
      query,
    });
  const routes: ProxyRouteDefinition[] = [
    // The keys are public by nature: anyone (an auditor outside the tenant, a browser before
    // sign-in) fetches them without a token, to check checkpoints against keys obtained apart
    // from the proofs. Under the tenant's path, so the tenant gate and the per-address limit apply.
    {
      access: 'tenant-path',
      upstream: compliance,
      tags: ['audit'],
      method: 'GET',
      url: '/tenants/:tenant/audit/signing-keys',
      operationId: 'getAuditSigningKeys',
      summary:
        'The public keys (base64 SPKI DER and PEM) that sign audit checkpoints and export receipts, earlier keys included; no token needed',
      schema: {
        params: Type.Object({ tenant: TenantIdSchema }),
        response: { 200: AuditSigningKeysSchema },
      },
      target: () => ({ path: '/v1/audit/signing-keys' }),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/records',
      operationId: 'listAuditRecords',
      summary: "The tenant's audit records in order (reveal: a compliance officer only)",
      schema: {
        querystring: AuditRecordsQuerySchema,
        response: {
          200: Type.Object({
            records: Type.Array(StoredAuditRecordSchema),
            next: Type.Optional(Type.Integer()),
          }),
        },
      },
      target: ({ tenant, query, claims }) => {
        if (query.reveal === true && !claims?.roles.includes('compliance-officer')) {
          throw problems.forbidden('Only a compliance officer may reveal personal fields');
        }
        return { path: tenantPath(tenant, '/audit/records'), query };
      },
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/records/:sequence',
      operationId: 'getAuditRecord',
      summary: 'One audit record by its sequence',
      schema: { params: SequenceParams, response: { 200: StoredAuditRecordSchema } },
      target: ({ tenant, params }) => ({
        path: tenantPath(tenant, `/audit/records/${Number(params.sequence)}`),
      }),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/records/:sequence/proof',
      operationId: 'getAuditInclusionProof',
      summary: 'Inclusion proof (RFC 9162) of a record against a signed checkpoint',
      schema: {
        params: SequenceParams,
        querystring: Type.Object(
          { treeSize: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            record: StoredAuditRecordSchema,
            leafIndex: Type.Integer(),
            treeSize: Type.Integer(),
            leafHash: Type.String(),
            auditPath: Hashes,
            checkpoint: SignedCheckpointSchema,
          }),
        },
      },
      target: ({ tenant, params, query }) => ({
        path: tenantPath(tenant, `/audit/records/${Number(params.sequence)}/proof`),
        query,
      }),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/checkpoints',
      operationId: 'listAuditCheckpoints',
      summary: 'Signed checkpoints, newest first',
      schema: {
        querystring: Range('before'),
        response: { 200: Type.Object({ checkpoints: Type.Array(SignedCheckpointSchema) }) },
      },
      target: same('/audit/checkpoints'),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/checkpoints/latest',
      operationId: 'getLatestAuditCheckpoint',
      summary: 'The latest signed checkpoint',
      schema: { response: { 200: SignedCheckpointSchema } },
      target: same('/audit/checkpoints/latest'),
    },
    {
      ...audit,
      method: 'POST',
      url: '/admin/audit/checkpoints',
      operationId: 'signAuditCheckpoint',
      summary: 'Signs a checkpoint of the whole log now (201 new, 200 the latest already covers it)',
      schema: { response: { 200: SignedCheckpointSchema, 201: SignedCheckpointSchema } },
      target: ({ tenant }) => ({ path: tenantPath(tenant, '/audit/checkpoints') }),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/published-checkpoints',
      operationId: 'listPublishedAuditCheckpoints',
      summary: "Checkpoints as published outside the database (the tenant's bucket)",
      schema: {
        querystring: Range('after'),
        response: { 200: Type.Object({ checkpoints: Type.Array(SignedCheckpointSchema) }) },
      },
      target: same('/audit/published-checkpoints'),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/consistency',
      operationId: 'getAuditConsistencyProof',
      summary: 'Consistency proof (RFC 9162) between two signed checkpoints',
      schema: {
        querystring: Type.Object(
          { from: Type.Integer({ minimum: 1 }), to: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ first: SignedCheckpointSchema, second: SignedCheckpointSchema, proof: Hashes }),
        },
      },
      target: same('/audit/consistency'),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/proofs',
      operationId: 'getAuditProofBundle',
      summary: 'A proof bundle (parley-audit-proofs/v1) for the offline verifier',
      schema: { querystring: ProofBundleQuerySchema, response: { 200: Type.Unknown() } },
      target: same('/audit/proofs'),
    },
    {
      ...audit,
      method: 'GET',
      url: '/admin/audit/verify',
      operationId: 'verifyAuditLog',
      summary: 'Re-reads the whole log and checks every hash, link, checkpoint root and signature',
      schema: { response: { 200: Type.Unknown() } },
      target: same('/audit/verify'),
    },
    {
      ...officer,
      tags: ['legal-holds'],
      method: 'POST',
      url: '/admin/legal-holds',
      operationId: 'placeLegalHold',
      summary: 'Places a legal hold (on the tenant, a person or a conversation); the actor is the caller',
      schema: {
        body: PlaceHoldBody,
        response: {
          201: Type.Object({ hold: LegalHoldViewSchema, destructionsCancelled: Type.Array(Type.String()) }),
        },
      },
      target: ({ tenant, body, claims }) => ({
        path: tenantPath(tenant, '/legal-holds'),
        body: { ...(body as object), setBy: actorOf(claims) },
      }),
    },
    {
      ...officer,
      tags: ['legal-holds'],
      method: 'GET',
      url: '/admin/legal-holds',
      operationId: 'listLegalHolds',
      summary: 'Active legal holds (includeLifted: the lifted ones too)',
      schema: {
        querystring: Type.Object(
          { includeLifted: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ holds: Type.Array(LegalHoldViewSchema) }) },
      },
      target: same('/legal-holds'),
    },
    {
      ...officer,
      tags: ['legal-holds'],
      method: 'POST',
      url: '/admin/legal-holds/:holdId/lift',
      operationId: 'liftLegalHold',
      summary: 'Lifts a legal hold (blocked erasures resume); the actor is the caller',
      schema: {
        params: Type.Object({ holdId: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: LiftHoldBody,
        response: {
          200: Type.Object({ hold: LegalHoldViewSchema, resumedJobs: Type.Array(Type.String()) }),
        },
      },
      target: ({ tenant, params, body, claims }) => ({
        path: tenantPath(tenant, `/legal-holds/${encodeURIComponent(params.holdId ?? '')}/lift`),
        body: { ...(body as object), liftedBy: actorOf(claims) },
      }),
    },
    {
      ...officer,
      tags: ['retention'],
      method: 'PUT',
      url: '/admin/retention/policies/:name',
      operationId: 'putRetentionPolicy',
      summary: 'Creates or replaces a retention policy',
      schema: {
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) }),
        body: RetentionPolicyBody,
        response: { 200: RetentionPolicySchema },
      },
      target: ({ tenant, params, body }) => ({
        path: tenantPath(tenant, `/retention/policies/${encodeURIComponent(params.name ?? '')}`),
        body,
      }),
    },
    {
      ...officer,
      tags: ['retention'],
      method: 'GET',
      url: '/admin/retention/policies',
      operationId: 'listRetentionPolicies',
      summary: "The tenant's retention policies",
      schema: { response: { 200: Type.Object({ policies: Type.Array(RetentionPolicySchema) }) } },
      target: same('/retention/policies'),
    },
    {
      ...officer,
      tags: ['retention'],
      method: 'POST',
      url: '/admin/retention/runs',
      operationId: 'runRetention',
      summary: 'Runs (or with dryRun, plans) a stored policy now; legal holds are honoured',
      schema: { body: RetentionRunRequestSchema, response: { 200: Type.Unknown() } },
      target: ({ tenant, body }) => ({ path: tenantPath(tenant, '/retention/runs'), body }),
    },
    {
      ...officer,
      tags: ['retention'],
      method: 'GET',
      url: '/admin/retention/runs',
      operationId: 'listRetentionRuns',
      summary: 'Past retention runs',
      schema: {
        querystring: Type.Object(
          {
            policy: Type.Optional(Type.String({ maxLength: 253 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ runs: Type.Array(Type.Unknown()) }) },
      },
      target: same('/retention/runs'),
    },
    // A person's own data-subject requests: the person is the token's user, never a body field.
    {
      access: 'user',
      upstream: compliance,
      tags: ['gdpr'],
      method: 'POST',
      url: '/me/gdpr/exports',
      operationId: 'requestMyDataExport',
      summary: 'Asks for an export of everything Parley holds about the signed-in person',
      schema: { response: { 202: GdprJobViewSchema } },
      target: ({ tenant, claims }) => ({
        path: tenantPath(tenant, '/gdpr/exports'),
        body: { userId: claims?.sub, requestedBy: actorOf(claims) },
      }),
    },
    {
      access: 'user',
      upstream: compliance,
      tags: ['gdpr'],
      method: 'GET',
      url: '/me/gdpr/jobs',
      operationId: 'listMyGdprJobs',
      summary: "The signed-in person's export and erasure jobs",
      schema: { response: { 200: Type.Object({ jobs: Type.Array(GdprJobViewSchema) }) } },
      target: ({ tenant, claims }) => ({
        path: tenantPath(tenant, '/gdpr/jobs'),
        query: { userId: claims?.sub },
      }),
    },
  ];
  for (const route of routes) registerProxyRoute(app, context, route);

  // A job, and its archive, only for the person it is about: another person's job id is 404.
  const ownJob = async (request: FastifyRequest, jobId: string) => {
    const tenant = request.tenant as string;
    const answer = await callUpstream(compliance, request, {
      method: 'GET',
      path: tenantPath(tenant, `/gdpr/jobs/${jobId}`),
    });
    const job =
      answer.status === 200 ? (JSON.parse(answer.body.toString('utf8')) as { userId?: string }) : undefined;
    if (!job || job.userId !== request.auth?.sub) {
      throw new ProblemError(404, 'not-found', 'Not found', `No GDPR job ${jobId}`);
    }
    return answer;
  };
  app.get(
    `${API_PREFIX}/me/gdpr/jobs/:jobId`,
    {
      onRequest: guardsFor('user', context),
      schema: {
        operationId: 'getMyGdprJob',
        tags: ['gdpr'],
        summary: "One of the signed-in person's GDPR jobs",
        params: JobParams,
        response: { 200: GdprJobViewSchema },
      },
    },
    async (request, reply) => sendAnswer(reply, await ownJob(request, request.params.jobId)),
  );
  app.get(
    `${API_PREFIX}/me/gdpr/jobs/:jobId/archive`,
    {
      onRequest: guardsFor('user', context),
      schema: {
        operationId: 'downloadMyDataExport',
        tags: ['gdpr'],
        summary: "The archive (zip) of the signed-in person's completed export",
        params: JobParams,
        // The zip as compliance made it, documented as such (it was documented as JSON).
        response: {
          200: {
            content: {
              'application/zip': {
                schema: Type.String({ format: 'binary', description: 'The export archive' }),
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      await ownJob(request, request.params.jobId);
      const tenant = request.tenant as string;
      return sendAnswer(
        reply,
        await callUpstream(compliance, request, {
          method: 'GET',
          path: tenantPath(tenant, `/gdpr/jobs/${request.params.jobId}/archive`),
        }),
      );
    },
  );
}
