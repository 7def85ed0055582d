/**
 * The audit log over HTTP: submit records (validated, appended in order, idempotent by id), read
 * them, and everything a tenant needs to verify Parley without trusting it: checkpoints, proofs,
 * proof bundles for the offline verifier, and a full-chain verification.
 */
import { AuditNotFoundError, isPruned, type StoredAuditRecord } from '@parley/audit-chain';
import {
  AuditRecordsQuerySchema,
  ProofBundleQuerySchema,
  SignedCheckpointSchema,
  StoredAuditRecordSchema,
  SubmitAuditRecordsBodySchema,
  SubmitAuditRecordsResponseSchema,
} from '@parley/contracts';
import { ProblemSchema, problems, routePlugin } from '@parley/kit';
import { Type } from 'typebox';
import { type RouteDeps, TenantParams } from './route-context.ts';
import { strictValidator } from './strict-validator.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
const SequenceParams = Type.Object({
  tenant: TenantParams.properties.tenant,
  sequence: Type.Integer({ minimum: 0 }),
});
const Hashes = Type.Array(Type.String());

export const auditRoutes = routePlugin<RouteDeps>((app, { auditLogs, sealer }) => {
  app.post(
    '/audit/records',
    {
      validatorCompiler: strictValidator as never,
      schema: {
        description: 'Appends audit records in order; a record id seen before is not appended again',
        params: TenantParams,
        body: SubmitAuditRecordsBodySchema,
        response: { 202: SubmitAuditRecordsResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const results = await auditLogs.append(
        request.params.tenant,
        request.body.records,
        request.body.source,
        {
          path: 'http',
        },
      );
      return reply.code(202).send({ results });
    },
  );

  app.get(
    '/audit/records',
    {
      schema: {
        params: TenantParams,
        querystring: AuditRecordsQuerySchema,
        response: {
          200: Type.Object({
            records: Type.Array(StoredAuditRecordSchema),
            next: Type.Optional(Type.Integer()),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      const q = request.query;
      const log = await auditLogs.get(tenant);
      const limit = q.limit ?? 100;
      const records = await log.listRecords({
        ...(q.after !== undefined ? { afterSequence: q.after } : {}),
        limit,
        ...(q.action ? { action: q.action } : {}),
        ...(q.actorId ? { actorId: q.actorId } : {}),
        ...(q.subject ? { subject: q.subject } : {}),
      });
      const body = q.reveal ? await Promise.all(records.map((r) => reveal(tenant, r))) : records;
      const last = records[records.length - 1];
      return { records: body, ...(records.length === limit && last ? { next: last.sequence } : {}) };
    },
  );

  app.get(
    '/audit/records/:sequence',
    { schema: { params: SequenceParams, response: { 200: StoredAuditRecordSchema, ...errors } } },
    async (request) => {
      const record = await (await auditLogs.get(request.params.tenant)).getRecord(request.params.sequence);
      if (!record) throw problems.notFound(`No audit record ${request.params.sequence}`);
      return record;
    },
  );

  app.get(
    '/audit/records/:sequence/proof',
    {
      schema: {
        description: 'Inclusion proof (RFC 9162) of the record against a signed checkpoint',
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
          ...errors,
        },
      },
    },
    async (request) =>
      notFoundAsProblem(async () =>
        (await auditLogs.get(request.params.tenant)).inclusionProof(
          request.params.sequence,
          request.query.treeSize,
        ),
      ),
  );

  app.get(
    '/audit/checkpoints',
    {
      schema: {
        params: TenantParams,
        querystring: Type.Object(
          {
            before: Type.Optional(Type.Integer({ minimum: 1 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ checkpoints: Type.Array(SignedCheckpointSchema) }), ...errors },
      },
    },
    async (request) => ({
      checkpoints: await (await auditLogs.get(request.params.tenant)).listCheckpoints({
        ...(request.query.before ? { beforeSize: request.query.before } : {}),
        limit: request.query.limit ?? 100,
      }),
    }),
  );

  app.get(
    '/audit/checkpoints/latest',
    {
      schema: {
        description: 'The latest signed checkpoint (reading never signs: POST /audit/checkpoints does)',
        params: TenantParams,
        response: { 200: SignedCheckpointSchema, ...errors },
      },
    },
    async (request) => {
      const latest = await (await auditLogs.get(request.params.tenant)).latestCheckpoint();
      if (!latest) throw problems.notFound('No checkpoint is signed yet');
      return latest;
    },
  );

  app.post(
    '/audit/checkpoints',
    {
      schema: {
        description:
          'Signs (and publishes) a checkpoint of the whole log now: 201 when a new one was signed, 200 with the latest when it already covers the log or one was signed too recently (rate-limited per tenant)',
        params: TenantParams,
        response: { 200: SignedCheckpointSchema, 201: SignedCheckpointSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { checkpoint, signed } = await auditLogs.signNow(request.params.tenant);
      if (!checkpoint) throw problems.notFound('The log is empty: there is nothing to sign');
      return reply.code(signed ? 201 : 200).send(checkpoint);
    },
  );

  app.get(
    '/audit/published-checkpoints',
    {
      schema: {
        description:
          "Checkpoints as published outside the database (the tenant's bucket, audit/checkpoints/), in size order: keep them, and pin them in the offline verifier",
        params: TenantParams,
        querystring: Type.Object(
          {
            after: Type.Optional(Type.Integer({ minimum: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ checkpoints: Type.Array(SignedCheckpointSchema) }), ...errors },
      },
    },
    async (request) => ({
      checkpoints: await auditLogs.published(request.params.tenant, {
        ...(request.query.after !== undefined ? { afterSize: request.query.after } : {}),
        limit: request.query.limit ?? 100,
      }),
    }),
  );

  app.get(
    '/audit/consistency',
    {
      schema: {
        description: 'Consistency proof (RFC 9162) between two signed checkpoints',
        params: TenantParams,
        querystring: Type.Object(
          { from: Type.Integer({ minimum: 1 }), to: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ first: SignedCheckpointSchema, second: SignedCheckpointSchema, proof: Hashes }),
          ...errors,
        },
      },
    },
    async (request) =>
      notFoundAsProblem(async () =>
        (await auditLogs.get(request.params.tenant)).consistencyProof(request.query.from, request.query.to),
      ),
  );

  app.get(
    '/audit/proofs',
    {
      schema: {
        description:
          'A proof bundle (parley-audit-proofs/v1) for the offline verifier: packages/audit-chain/src/verify-cli.ts',
        params: TenantParams,
        querystring: ProofBundleQuerySchema,
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request, reply) => {
      const log = await auditLogs.get(request.params.tenant);
      const sequences = request.query.sequences ? request.query.sequences.split(',').map(Number) : [];
      const bundle = await notFoundAsProblem(() => log.proofBundle(sequences, request.query.since));
      if (request.query.full) {
        const all: StoredAuditRecord[] = [];
        let after = -1;
        for (;;) {
          const page = await log.listRecords({ afterSequence: after, limit: 1000 });
          all.push(...page);
          const last = page[page.length - 1];
          if (!last || page.length < 1000 || all.length >= 100_000) break;
          after = last.sequence;
        }
        bundle.records = all;
        bundle.checkpoints = (await log.listCheckpoints({ limit: 10_000 })).reverse();
      }
      return reply
        .header('content-disposition', `attachment; filename="audit-proofs-${request.params.tenant}.json"`)
        .send(bundle);
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        description: 'Re-reads the whole log and checks every hash, link, checkpoint root and signature',
        params: TenantParams,
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request) => (await auditLogs.get(request.params.tenant)).verify(auditLogs.publicKeys),
  );

  async function reveal(
    tenant: string,
    record: StoredAuditRecord,
  ): Promise<StoredAuditRecord & { revealed?: unknown }> {
    if (isPruned(record)) return record;
    const revealed = [];
    for (const entry of record.personal) {
      revealed.push({ subject: entry.subject, fields: (await sealer.open(tenant, entry)) ?? null });
    }
    return { ...record, revealed };
  }
});

async function notFoundAsProblem<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AuditNotFoundError) throw problems.notFound(error.message);
    throw error;
  }
}
