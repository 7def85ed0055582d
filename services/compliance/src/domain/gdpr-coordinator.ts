/**
 * GDPR data-subject rights as jobs. Export and erasure are coordinated over Kafka: the job
 * document is written together with its request event (outbox), every participant reports on
 * the tenant's gdpr topic, and the job completes only when all have reported `done`; a silent
 * participant keeps it `in-progress`, visible in the job's participants map. Legal holds on the
 * person (or the tenant) block erasure: the job is `blocked` with the holds as its legal
 * exemption, audited, and resumed by resumeBlocked() (a new round) when the holds are lifted.
 * Every write is an insert or a replace of a document only one writer owns (see
 * gdpr-collections.ts), so concurrent reports and replicas never overwrite each other.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SigningKey } from '@parley/audit-chain';
import { signReceipt } from '@parley/audit-chain';
import {
  createEvent,
  type EventEnvelope,
  GdprErasureRequested,
  GdprExportRequested,
  GdprJobFinished,
  type GdprParticipantReport,
} from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import { LegalHoldStore } from '@parley/retention';
import { assertTenantId } from '@parley/tenancy';
import { zipSync } from 'fflate';
import type { MongoClient } from 'mongodb';
import {
  ensureGdprIndexes,
  type GdprJob,
  type GdprJobDocument,
  type GdprJobKind,
  type GdprReportDocument,
  type GdprSettlementDocument,
  gdprCollections,
  type ParticipantState,
} from '../store/gdpr-collections.ts';
import { type AuditTrail, actorFrom, withPendingAudit } from './audit-trail.ts';
import type { ComplianceMetrics } from './compliance-metrics.ts';
import type { ComplianceParticipant } from './compliance-participant.ts';
import { COMPLIANCE_PARTICIPANT, type ParticipantRegistry } from './participant-registry.ts';

export interface GdprCoordinatorOptions {
  client: MongoClient;
  trail: AuditTrail;
  participants: ParticipantRegistry;
  self: ComplianceParticipant;
  signingKey: SigningKey;
  logger: Logger;
}

export class GdprError extends Error {
  readonly code: 'not-found' | 'conflict' | 'invalid' | 'gone';
  constructor(code: GdprError['code'], message: string) {
    super(message);
    this.name = 'GdprError';
    this.code = code;
  }
}

const now = () => new Date().toISOString();

export class GdprCoordinator {
  readonly #o: GdprCoordinatorOptions;
  readonly #indexed = new Map<string, Promise<void>>();
  /** Set by buildApp: where settled rounds are counted. */
  metrics: ComplianceMetrics | undefined;

  constructor(options: GdprCoordinatorOptions) {
    this.#o = options;
  }

  async get(tenant: string, jobId: string): Promise<GdprJob> {
    const job = await gdprCollections(this.#o.client, tenant).jobs.findOne({ _id: jobId });
    if (!job) throw new GdprError('not-found', `no GDPR job ${jobId}`);
    return this.#fold(tenant, job);
  }

  async list(tenant: string, filter: { userId?: string; status?: string } = {}): Promise<GdprJob[]> {
    const query: Record<string, string> = {};
    if (filter.userId) query.userId = filter.userId;
    const docs = await gdprCollections(this.#o.client, tenant)
      .jobs.find(query)
      .sort({ requestedAt: -1 })
      .limit(500)
      .toArray();
    const jobs: GdprJob[] = [];
    for (const doc of docs) jobs.push(await this.#fold(tenant, doc));
    return filter.status ? jobs.filter((j) => j.status === filter.status) : jobs;
  }

  async requestExport(tenant: string, userId: string, requestedBy: string): Promise<GdprJob> {
    const job = await this.#start(tenant, 'export', userId, requestedBy);
    await this.#runOwnPart(tenant, job._id, 'export', userId);
    return this.get(tenant, job._id);
  }

  async requestErasure(tenant: string, userId: string, requestedBy: string): Promise<GdprJob> {
    await this.#ensureIndexes(tenant);
    const holds = (await new LegalHoldStore(this.#o.client, tenant).active()).coveringPerson(userId);
    if (holds.length > 0) {
      const job: GdprJobDocument = {
        _id: randomUUID(),
        kind: 'erasure',
        userId,
        requestedBy,
        requestedAt: now(),
        participants: [],
        blocked: {
          holdIds: holds.map((h) => h.id),
          exemption: 'legal-hold: GDPR Art. 17(3)(e), establishment, exercise or defence of legal claims',
        },
      };
      const audit = this.#o.trail.entry({
        actor: actorFrom(requestedBy),
        action: 'gdpr.erasure.blocked',
        resource: { type: 'gdpr-job', id: job._id },
        outcome: 'denied',
        metadata: { subject: userId, reason: 'legal-exemption', holdIds: job.blocked?.holdIds ?? [] },
      });
      const jobs = gdprCollections(this.#o.client, tenant).jobs;
      await jobs.insertOne(withPendingAudit(job, [audit]));
      await this.#o.trail.settle(tenant, jobs, job._id, [audit]);
      return this.#fold(tenant, job);
    }
    const job = await this.#start(tenant, 'erasure', userId, requestedBy);
    await this.#runOwnPart(tenant, job._id, 'erasure', userId);
    return this.get(tenant, job._id);
  }

  /** After holds are lifted: blocked erasures no hold covers any more start a new round now. */
  async resumeBlocked(tenant: string): Promise<GdprJob[]> {
    const c = gdprCollections(this.#o.client, tenant);
    const candidates = await c.jobs.find({ kind: 'erasure' }).limit(1000).toArray();
    const holdSet = await new LegalHoldStore(this.#o.client, tenant).active();
    const resumed: GdprJob[] = [];
    for (const doc of candidates) {
      const job = await this.#fold(tenant, doc);
      if (job.status !== 'blocked' || holdSet.coveringPerson(job.userId).length > 0) continue;
      const round = job.round + 1;
      const participants = await this.#o.participants.namesFor('erasure');
      const event = this.#requestEvent(tenant, 'erasure', job._id, job.userId, participants);
      const audit = this.#o.trail.entry({
        actor: { type: 'service', id: 'compliance' },
        action: 'gdpr.erasure.resumed',
        resource: { type: 'gdpr-job', id: job._id },
        outcome: 'success',
        metadata: { subject: job.userId, round, previousHoldIds: job.holdIds ?? [] },
      });
      const roundId = `${job._id}:r${round}`;
      try {
        // The round's unique _id makes the resume happen once, however many replicas try.
        await c.rounds.insertOne(
          withPendingAudit(
            withOutbox(
              {
                _id: roundId,
                jobId: job._id,
                round,
                participants,
                startedAt: now(),
                previousHoldIds: job.holdIds ?? [],
              },
              [event],
            ),
            [audit],
          ),
        );
      } catch (error) {
        if ((error as { code?: number }).code === 11000) continue;
        throw error;
      }
      await this.#o.trail.settle(tenant, c.rounds, roundId, [audit]);
      await this.#runOwnPart(tenant, job._id, 'erasure', job.userId);
      resumed.push(await this.get(tenant, job._id));
    }
    return resumed;
  }

  /** A participant's report (from Kafka, or compliance's own): idempotent per participant and round. */
  async applyReport(tenant: string, report: GdprParticipantReport): Promise<GdprJob | undefined> {
    const c = gdprCollections(this.#o.client, tenant);
    const doc = await c.jobs.findOne({ _id: report.jobId });
    const job = doc ? await this.#fold(tenant, doc) : undefined;
    if (!job || job.kind !== report.kind || !(report.participant in job.participants)) {
      this.#o.logger.warn(
        { tenant, jobId: report.jobId, participant: report.participant },
        'gdpr: report for no such job or participant',
      );
      return undefined;
    }
    if (job.status !== 'in-progress') return job;
    let state: ParticipantState = {
      status: report.status,
      reportedAt: now(),
      ...(report.detail ? { detail: report.detail } : {}),
      ...(report.counts ? { counts: report.counts } : {}),
      ...(report.exportPart ? { exportPart: report.exportPart } : {}),
      ...(report.holdIds ? { holdIds: report.holdIds } : {}),
    };
    if (report.kind === 'export' && report.status === 'done')
      state = await this.#checkExportPart(tenant, job, report, state);
    const reportDoc: GdprReportDocument = {
      _id: `${job._id}:r${job.round}:${report.participant}`,
      jobId: job._id,
      round: job.round,
      participant: report.participant,
      ...state,
    };
    try {
      await c.reports.replaceOne({ _id: reportDoc._id }, reportDoc, { upsert: true });
    } catch (error) {
      // Two upserts of one report at once (a redelivered report): both may try the insert and the
      // loser gets a duplicate key. The document exists now, so the same replace succeeds once more.
      if ((error as { code?: number }).code !== 11000) throw error;
      await c.reports.replaceOne({ _id: reportDoc._id }, reportDoc, { upsert: true });
    }
    return this.#settle(tenant, job._id);
  }

  async uploadExportPart(
    tenant: string,
    jobId: string,
    participant: string,
    data: unknown,
  ): Promise<{ sha256: string; bytes: number }> {
    const job = await this.get(tenant, jobId);
    if (job.kind !== 'export') throw new GdprError('invalid', `job ${jobId} is not an export`);
    if (!(participant in job.participants))
      throw new GdprError('invalid', `${participant} is not a participant of job ${jobId}`);
    if (job.status === 'completed') throw new GdprError('conflict', `job ${jobId} is already complete`);
    const content = JSON.stringify(data ?? null);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const bytes = Buffer.byteLength(content);
    await gdprCollections(this.#o.client, tenant).exportParts.replaceOne(
      { _id: `${jobId}:${participant}` },
      { jobId, userId: job.userId, participant, content, sha256, bytes, uploadedAt: now() },
      { upsert: true },
    );
    return { sha256, bytes };
  }

  /** The archive of a completed export: one JSON file per participant, the receipt, a README. */
  async archive(tenant: string, jobId: string): Promise<{ zip: Uint8Array; fileName: string }> {
    const job = await this.get(tenant, jobId);
    if (job.kind !== 'export') throw new GdprError('invalid', `job ${jobId} is not an export`);
    if (job.status !== 'completed' || !job.receipt)
      throw new GdprError('conflict', `export ${jobId} is ${job.status}`);
    const c = gdprCollections(this.#o.client, tenant);
    const files: Record<string, Uint8Array> = {};
    for (const participant of Object.keys(job.participants)) {
      const part = await c.exportParts.findOne({ _id: `${jobId}:${participant}` });
      if (!part) {
        throw new GdprError(
          'gone',
          `export ${jobId} no longer holds ${participant}'s part (expired, or the person was erased)`,
        );
      }
      files[`${participant}.json`] = Buffer.from(part.content);
    }
    files['receipt.json'] = Buffer.from(JSON.stringify(job.receipt, null, 2));
    files['README.txt'] = Buffer.from(
      'Everything Parley holds about you, one file per service. receipt.json lists each file with its\n' +
        'SHA-256 and is signed (Ed25519) with the key published at /v1/audit/signing-keys.\n',
    );
    return { zip: zipSync(files, { level: 6 }), fileName: `parley-export-${jobId}.zip` };
  }

  async recordRectification(
    tenant: string,
    input: {
      userId: string;
      participant: string;
      field: string;
      before: string;
      after: string;
      requestedBy: string;
    },
  ): Promise<GdprJob> {
    assertTenantId(tenant);
    const salt = randomBytes(16).toString('hex');
    const digest = (value: string) => createHash('sha256').update(salt).update(value).digest('hex');
    const at = now();
    const job: GdprJobDocument = {
      _id: randomUUID(),
      kind: 'rectification',
      userId: input.userId,
      requestedBy: input.requestedBy,
      requestedAt: at,
      completedAt: at,
      participants: [input.participant],
      rectification: {
        participant: input.participant,
        field: input.field,
        salt,
        beforeHash: digest(input.before),
        afterHash: digest(input.after),
      },
    };
    const audit = this.#o.trail.entry({
      actor: actorFrom(input.requestedBy),
      action: 'gdpr.rectification.recorded',
      resource: { type: 'gdpr-job', id: job._id },
      outcome: 'success',
      metadata: {
        subject: input.userId,
        participant: input.participant,
        field: input.field,
        beforeHash: job.rectification?.beforeHash ?? null,
        afterHash: job.rectification?.afterHash ?? null,
      },
    });
    const jobs = gdprCollections(this.#o.client, tenant).jobs;
    await jobs.insertOne(withPendingAudit(job, [audit]));
    await this.#o.trail.settle(tenant, jobs, job._id, [audit]);
    return this.#fold(tenant, job);
  }

  /** Creates the tenant's GDPR indexes the first time this process writes for it. */
  #ensureIndexes(tenant: string): Promise<void> {
    let done = this.#indexed.get(tenant);
    if (!done) {
      done = ensureGdprIndexes(this.#o.client, tenant);
      done.catch(() => this.#indexed.delete(tenant));
      this.#indexed.set(tenant, done);
    }
    return done;
  }

  async #start(
    tenant: string,
    kind: 'export' | 'erasure',
    userId: string,
    requestedBy: string,
  ): Promise<GdprJobDocument> {
    await this.#ensureIndexes(tenant);
    const participants = await this.#o.participants.namesFor(kind);
    const id = randomUUID();
    const job: GdprJobDocument = { _id: id, kind, userId, requestedBy, requestedAt: now(), participants };
    const audit = this.#o.trail.entry({
      actor: actorFrom(requestedBy),
      action: `gdpr.${kind}.requested`,
      resource: { type: 'gdpr-job', id },
      outcome: 'success',
      metadata: { subject: userId, participants },
    });
    // The job, its request event (the outbox) and its audit record in one single-document write.
    const jobs = gdprCollections(this.#o.client, tenant).jobs;
    await jobs.insertOne(
      withPendingAudit(withOutbox(job, [this.#requestEvent(tenant, kind, id, userId, participants)]), [
        audit,
      ]),
    );
    await this.#o.trail.settle(tenant, jobs, id, [audit]);
    return job;
  }

  #requestEvent(
    tenant: string,
    kind: 'export' | 'erasure',
    jobId: string,
    userId: string,
    participants: string[],
  ): EventEnvelope {
    const definition = kind === 'export' ? GdprExportRequested : GdprErasureRequested;
    return createEvent(definition, {
      tenant,
      source: 'compliance',
      payload: { jobId, userId, participants, requestedAt: now() },
    });
  }

  async #runOwnPart(
    tenant: string,
    jobId: string,
    kind: 'export' | 'erasure',
    userId: string,
  ): Promise<void> {
    const job = { _id: jobId, kind, userId };
    let report: GdprParticipantReport;
    try {
      report =
        kind === 'export'
          ? await this.#o.self.exportPart(tenant, job, (data) =>
              this.uploadExportPart(tenant, jobId, COMPLIANCE_PARTICIPANT, data),
            )
          : await this.#o.self.erase(tenant, job);
    } catch (error) {
      this.#o.logger.error({ tenant, jobId, err: error }, 'gdpr: compliance part failed');
      report = {
        jobId,
        kind,
        participant: COMPLIANCE_PARTICIPANT,
        status: 'failed',
        detail: error instanceof Error ? error.message.slice(0, 500) : 'failed',
      };
    }
    await this.applyReport(tenant, report);
  }

  async #checkExportPart(
    tenant: string,
    job: GdprJob,
    report: GdprParticipantReport,
    state: ParticipantState,
  ): Promise<ParticipantState> {
    const part = await gdprCollections(this.#o.client, tenant).exportParts.findOne({
      _id: `${job._id}:${report.participant}`,
    });
    if (!part)
      return { ...state, status: 'failed', detail: 'reported done, but no export part was uploaded' };
    if (report.exportPart && report.exportPart.sha256 !== part.sha256) {
      return { ...state, status: 'failed', detail: 'the uploaded part does not match the reported digest' };
    }
    return { ...state, exportPart: { sha256: part.sha256, bytes: part.bytes } };
  }

  /** Settles the current round once its reports allow; the settlement's unique _id lets one replica win. */
  async #settle(tenant: string, jobId: string): Promise<GdprJob> {
    const job = await this.get(tenant, jobId);
    if (job.status !== 'in-progress') return job;
    const states = Object.values(job.participants);
    let status: 'completed' | 'failed' | 'blocked' | undefined;
    if (states.every((s) => s.status === 'done')) status = 'completed';
    else if (states.some((s) => s.status === 'pending')) status = undefined;
    else if (states.some((s) => s.status === 'blocked')) status = 'blocked';
    else status = 'failed';
    if (!status) return job;

    const at = now();
    const settlement: GdprSettlementDocument = {
      _id: `${job._id}:r${job.round}`,
      jobId: job._id,
      round: job.round,
      status,
      settledAt: at,
    };
    if (status === 'completed' && job.kind === 'export') {
      const files = Object.entries(job.participants)
        .map(([name, s]) => ({
          name: `${name}.json`,
          sha256: s.exportPart?.sha256 ?? '',
          bytes: s.exportPart?.bytes ?? 0,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      settlement.receipt = signReceipt(
        { tenant, jobId: job._id, userId: job.userId, completedAt: at, files },
        this.#o.signingKey,
      );
    }
    const finished = createEvent(GdprJobFinished, {
      tenant,
      source: 'compliance',
      payload: { jobId: job._id, kind: job.kind, userId: job.userId, status },
    });
    const audit = this.#o.trail.entry({
      actor: { type: 'service', id: 'compliance' },
      action: `gdpr.${job.kind}.${status}`,
      resource: { type: 'gdpr-job', id: job._id },
      outcome: status === 'completed' ? 'success' : status === 'blocked' ? 'denied' : 'failure',
      metadata: {
        subject: job.userId,
        round: job.round,
        participants: Object.entries(job.participants).map(([name, s]) => `${name}:${s.status}`),
      },
    });
    const settlements = gdprCollections(this.#o.client, tenant).settlements;
    try {
      await settlements.insertOne(withPendingAudit(withOutbox(settlement, [finished]), [audit]));
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return this.get(tenant, job._id); // another replica settled it
      throw error;
    }
    this.metrics?.gdprSettled(job.kind, status);
    await this.#o.trail.settle(tenant, settlements, settlement._id, [audit]);
    return this.get(tenant, job._id);
  }

  /** Folds a job's documents into what callers see: its current round and that round's state. */
  async #fold(tenant: string, doc: GdprJobDocument): Promise<GdprJob> {
    const c = gdprCollections(this.#o.client, tenant);
    const base = {
      _id: doc._id,
      kind: doc.kind,
      userId: doc.userId,
      requestedBy: doc.requestedBy,
      requestedAt: doc.requestedAt,
      ...(doc.rectification ? { rectification: doc.rectification } : {}),
    };
    if (doc.kind === 'rectification') {
      const at = doc.completedAt ?? doc.requestedAt;
      return {
        ...base,
        status: 'completed',
        updatedAt: at,
        completedAt: at,
        round: 0,
        participants: Object.fromEntries(
          doc.participants.map((p) => [p, { status: 'done' as const, reportedAt: at }]),
        ),
      };
    }
    // The latest round: probed by _id (answered from the index everywhere), rounds are few.
    let round = 0;
    let participants = doc.participants;
    let startedAt = doc.requestedAt;
    for (let next = 1; ; next += 1) {
      const r = await c.rounds.findOne({ _id: `${doc._id}:r${next}` });
      if (!r) break;
      round = r.round;
      participants = r.participants;
      startedAt = r.startedAt;
    }
    const states: Record<string, ParticipantState> = {};
    let updatedAt = startedAt;
    for (const name of participants) {
      const report = await c.reports.findOne({ _id: `${doc._id}:r${round}:${name}` });
      if (report) {
        const { _id, jobId: _j, round: _r, participant: _p, ...state } = report;
        states[name] = state;
        if (state.reportedAt && state.reportedAt > updatedAt) updatedAt = state.reportedAt;
      } else {
        states[name] = { status: 'pending' };
      }
    }
    const settled = await c.settlements.findOne({ _id: `${doc._id}:r${round}` });
    const blockedAtRequest = round === 0 && doc.blocked;
    const status: GdprJob['status'] = settled?.status ?? (blockedAtRequest ? 'blocked' : 'in-progress');
    return {
      ...base,
      status,
      updatedAt: settled?.settledAt ?? updatedAt,
      ...(settled?.status === 'completed' ? { completedAt: settled.settledAt } : {}),
      round,
      participants: states,
      ...(blockedAtRequest && doc.blocked
        ? { holdIds: doc.blocked.holdIds, exemption: doc.blocked.exemption }
        : {}),
      ...(settled?.receipt ? { receipt: settled.receipt } : {}),
    };
  }
}

export type { GdprJobKind };
