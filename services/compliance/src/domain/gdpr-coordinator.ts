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
import { randomUUID } from 'node:crypto';
import type { SigningKey } from '@parley/audit-chain';
import { signReceipt } from '@parley/audit-chain';
import {
  createEvent,
  type EventEnvelope,
  GdprErasureRequested,
  GdprExportRequested,
  GdprJobFinished,
  type GdprParticipantReport,
  type RectificationBody,
} from '@parley/contracts';
import { isDuplicateKeyError, type Logger } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import { LegalHoldStore } from '@parley/retention';
import { assertTenantId } from '@parley/tenancy';
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
import { GdprError } from './gdpr-error.ts';
import { checkExportPart, exportArchive, storeExportPart } from './gdpr-export-parts.ts';
import { foldGdprJob, settledStatus } from './gdpr-job-view.ts';
import { rectificationJob } from './gdpr-rectification.ts';
import { COMPLIANCE_PARTICIPANT, type ParticipantRegistry } from './participant-registry.ts';

export interface GdprCoordinatorOptions {
  client: MongoClient;
  trail: AuditTrail;
  participants: ParticipantRegistry;
  self: ComplianceParticipant;
  signingKey: SigningKey;
  logger: Logger;
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
        if (isDuplicateKeyError(error)) continue;
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
      state = await checkExportPart(this.#o.client, tenant, job, report, state);
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
      if (!isDuplicateKeyError(error)) throw error;
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
    return storeExportPart(this.#o.client, tenant, await this.get(tenant, jobId), participant, data);
  }

  /** The archive of a completed export: one JSON file per participant, the receipt, a README. */
  async archive(tenant: string, jobId: string): Promise<{ zip: Uint8Array; fileName: string }> {
    return exportArchive(this.#o.client, tenant, await this.get(tenant, jobId));
  }

  async recordRectification(tenant: string, input: RectificationBody): Promise<GdprJob> {
    assertTenantId(tenant);
    const job = rectificationJob(input, now());
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

  /** Settles the current round once its reports allow; the settlement's unique _id lets one replica win. */
  async #settle(tenant: string, jobId: string): Promise<GdprJob> {
    const job = await this.get(tenant, jobId);
    if (job.status !== 'in-progress') return job;
    const status = settledStatus(Object.values(job.participants));
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
      if (isDuplicateKeyError(error)) return this.get(tenant, job._id); // another replica settled it
      throw error;
    }
    this.metrics?.gdprSettled(job.kind, status);
    await this.#o.trail.settle(tenant, settlements, settlement._id, [audit]);
    return this.get(tenant, job._id);
  }

  #fold(tenant: string, doc: GdprJobDocument): Promise<GdprJob> {
    return foldGdprJob(this.#o.client, tenant, doc);
  }
}

export type { GdprJobKind };
