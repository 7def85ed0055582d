/**
 * GDPR data-subject rights as jobs. Export and erasure are coordinated over Kafka: the job
 * document is written together with its request event (outbox), every participant reports on
 * the tenant's gdpr topic, and the job completes only when all have reported `done`; a silent
 * participant keeps it `in-progress`, visible in the job's participants map. Legal holds on the
 * person (or the tenant) block erasure: the job is `blocked` with the holds as its legal
 * exemption, audited, and resumed by resumeBlocked() when the holds are lifted.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SigningKey } from '@parley/audit-chain';
import {
  createEvent,
  type EventEnvelope,
  GdprErasureRequested,
  GdprExportRequested,
  GdprJobFinished,
  type GdprParticipantReport,
} from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { outboxPush, withOutbox } from '@parley/outbox';
import { LegalHoldStore } from '@parley/retention';
import { assertTenantId } from '@parley/tenancy';
import { zipSync } from 'fflate';
import type { MongoClient } from 'mongodb';
import {
  type GdprJobDocument,
  type GdprJobKind,
  gdprCollections,
  type ParticipantState,
} from '../store/gdpr-collections.ts';
import { type AuditTrail, actorFrom } from './audit-trail.ts';
import type { ComplianceParticipant } from './compliance-participant.ts';
import { signReceipt } from './export-receipt.ts';
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
  readonly code: 'not-found' | 'conflict' | 'invalid';
  constructor(code: GdprError['code'], message: string) {
    super(message);
    this.name = 'GdprError';
    this.code = code;
  }
}

const now = () => new Date().toISOString();

export class GdprCoordinator {
  readonly #o: GdprCoordinatorOptions;

  constructor(options: GdprCoordinatorOptions) {
    this.#o = options;
  }

  async get(tenant: string, jobId: string): Promise<GdprJobDocument> {
    const job = await gdprCollections(this.#o.client, tenant).jobs.findOne({ _id: jobId });
    if (!job) throw new GdprError('not-found', `no GDPR job ${jobId}`);
    return job;
  }

  async list(tenant: string, filter: { userId?: string; status?: string } = {}): Promise<GdprJobDocument[]> {
    const query: Record<string, string> = {};
    if (filter.userId) query.userId = filter.userId;
    if (filter.status) query.status = filter.status;
    return gdprCollections(this.#o.client, tenant)
      .jobs.find(query)
      .sort({ requestedAt: -1 })
      .limit(500)
      .toArray();
  }

  async requestExport(tenant: string, userId: string, requestedBy: string): Promise<GdprJobDocument> {
    const job = await this.#start(tenant, 'export', userId, requestedBy);
    await this.#o.trail.record(tenant, {
      actor: actorFrom(requestedBy),
      action: 'gdpr.export.requested',
      resource: { type: 'gdpr-job', id: job._id },
      outcome: 'success',
      metadata: { subject: userId, participants: Object.keys(job.participants) },
    });
    await this.#runOwnPart(tenant, job);
    return this.get(tenant, job._id);
  }

  async requestErasure(tenant: string, userId: string, requestedBy: string): Promise<GdprJobDocument> {
    const holds = (await new LegalHoldStore(this.#o.client, tenant).active()).coveringPerson(userId);
    if (holds.length > 0) {
      const job: GdprJobDocument = {
        _id: randomUUID(),
        kind: 'erasure',
        userId,
        status: 'blocked',
        requestedBy,
        requestedAt: now(),
        updatedAt: now(),
        participants: {},
        holdIds: holds.map((h) => h.id),
        exemption: 'legal-hold: GDPR Art. 17(3)(e), establishment, exercise or defence of legal claims',
      };
      await gdprCollections(this.#o.client, tenant).jobs.insertOne(job);
      await this.#o.trail.record(tenant, {
        actor: actorFrom(requestedBy),
        action: 'gdpr.erasure.blocked',
        resource: { type: 'gdpr-job', id: job._id },
        outcome: 'denied',
        metadata: { subject: userId, reason: 'legal-exemption', holdIds: job.holdIds ?? [] },
      });
      return job;
    }
    const job = await this.#start(tenant, 'erasure', userId, requestedBy);
    await this.#o.trail.record(tenant, {
      actor: actorFrom(requestedBy),
      action: 'gdpr.erasure.requested',
      resource: { type: 'gdpr-job', id: job._id },
      outcome: 'success',
      metadata: { subject: userId, participants: Object.keys(job.participants) },
    });
    await this.#runOwnPart(tenant, job);
    return this.get(tenant, job._id);
  }

  /** After holds are lifted: erasures no hold covers any more start now. */
  async resumeBlocked(tenant: string): Promise<GdprJobDocument[]> {
    const jobs = gdprCollections(this.#o.client, tenant).jobs;
    const blocked = await jobs.find({ kind: 'erasure', status: 'blocked' }).limit(1000).toArray();
    if (blocked.length === 0) return [];
    const holdSet = await new LegalHoldStore(this.#o.client, tenant).active();
    const resumed: GdprJobDocument[] = [];
    for (const job of blocked) {
      if (holdSet.coveringPerson(job.userId).length > 0) continue;
      const participants = await this.#o.participants.namesFor('erasure');
      const event = this.#requestEvent(tenant, 'erasure', job._id, job.userId, participants);
      const updated = await jobs.findOneAndUpdate(
        { _id: job._id, status: 'blocked' },
        outboxPush<GdprJobDocument>([event], {
          $set: { status: 'in-progress', updatedAt: now(), participants: pendingParticipants(participants) },
          $unset: { holdIds: '', exemption: '' },
        }),
        { returnDocument: 'after' },
      );
      if (!updated) continue; // another replica resumed it
      await this.#o.trail.record(tenant, {
        actor: { type: 'service', id: 'compliance' },
        action: 'gdpr.erasure.resumed',
        resource: { type: 'gdpr-job', id: job._id },
        outcome: 'success',
        metadata: { subject: job.userId, previousHoldIds: job.holdIds ?? [] },
      });
      await this.#runOwnPart(tenant, updated);
      resumed.push(await this.get(tenant, job._id));
    }
    return resumed;
  }

  /** A participant's report (from Kafka, or compliance's own): idempotent per participant. */
  async applyReport(tenant: string, report: GdprParticipantReport): Promise<GdprJobDocument | undefined> {
    const jobs = gdprCollections(this.#o.client, tenant).jobs;
    const job = await jobs.findOne({ _id: report.jobId });
    if (!job || job.kind !== report.kind || !(report.participant in job.participants)) {
      this.#o.logger.warn(
        { tenant, jobId: report.jobId, participant: report.participant },
        'gdpr: report for no such job or participant',
      );
      return undefined;
    }
    if (job.status === 'completed') return job;
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
    const updated = await jobs.findOneAndUpdate(
      { _id: job._id, status: { $ne: 'completed' } },
      { $set: { [`participants.${report.participant}`]: state, updatedAt: now() } },
      { returnDocument: 'after' },
    );
    if (!updated) return this.get(tenant, job._id);
    return this.#settle(tenant, updated);
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
    const parts = await gdprCollections(this.#o.client, tenant).exportParts.find({ jobId }).toArray();
    if (parts.length === 0)
      throw new GdprError('conflict', `export ${jobId} no longer holds data (the person was erased)`);
    const files: Record<string, Uint8Array> = {};
    for (const part of parts) files[`${part.participant}.json`] = Buffer.from(part.content);
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
  ): Promise<GdprJobDocument> {
    assertTenantId(tenant);
    const salt = randomBytes(16).toString('hex');
    const digest = (value: string) => createHash('sha256').update(salt).update(value).digest('hex');
    const at = now();
    const job: GdprJobDocument = {
      _id: randomUUID(),
      kind: 'rectification',
      userId: input.userId,
      status: 'completed',
      requestedBy: input.requestedBy,
      requestedAt: at,
      updatedAt: at,
      completedAt: at,
      participants: { [input.participant]: { status: 'done', reportedAt: at } },
      rectification: {
        participant: input.participant,
        field: input.field,
        salt,
        beforeHash: digest(input.before),
        afterHash: digest(input.after),
      },
    };
    await gdprCollections(this.#o.client, tenant).jobs.insertOne(job);
    await this.#o.trail.record(tenant, {
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
    return job;
  }

  async #start(
    tenant: string,
    kind: 'export' | 'erasure',
    userId: string,
    requestedBy: string,
  ): Promise<GdprJobDocument> {
    const participants = await this.#o.participants.namesFor(kind);
    const id = randomUUID();
    const at = now();
    const job: GdprJobDocument = {
      _id: id,
      kind,
      userId,
      status: 'in-progress',
      requestedBy,
      requestedAt: at,
      updatedAt: at,
      participants: pendingParticipants(participants),
    };
    // The job and its request event in one single-document write (the outbox).
    await gdprCollections(this.#o.client, tenant).jobs.insertOne(
      withOutbox(job, [this.#requestEvent(tenant, kind, id, userId, participants)]),
    );
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

  async #runOwnPart(tenant: string, job: GdprJobDocument): Promise<void> {
    let report: GdprParticipantReport;
    try {
      report =
        job.kind === 'export'
          ? await this.#o.self.exportPart(tenant, job, (data) =>
              this.uploadExportPart(tenant, job._id, COMPLIANCE_PARTICIPANT, data),
            )
          : await this.#o.self.erase(tenant, job);
    } catch (error) {
      this.#o.logger.error({ tenant, jobId: job._id, err: error }, 'gdpr: compliance part failed');
      report = {
        jobId: job._id,
        kind: job.kind as 'export' | 'erasure',
        participant: COMPLIANCE_PARTICIPANT,
        status: 'failed',
        detail: error instanceof Error ? error.message.slice(0, 500) : 'failed',
      };
    }
    await this.applyReport(tenant, report);
  }

  async #checkExportPart(
    tenant: string,
    job: GdprJobDocument,
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

  /** Moves a job to its end state once the reports allow it; exactly one replica wins the move. */
  async #settle(tenant: string, job: GdprJobDocument): Promise<GdprJobDocument> {
    const states = Object.values(job.participants);
    const jobs = gdprCollections(this.#o.client, tenant).jobs;
    let status: 'completed' | 'failed' | 'blocked' | undefined;
    if (states.every((s) => s.status === 'done')) status = 'completed';
    else if (states.some((s) => s.status === 'pending')) status = undefined;
    else if (states.some((s) => s.status === 'blocked')) status = 'blocked';
    else status = 'failed';
    if (!status) return job;

    const at = now();
    const set: Partial<GdprJobDocument> = { status, updatedAt: at };
    if (status === 'completed') set.completedAt = at;
    if (status === 'completed' && job.kind === 'export') {
      const files = Object.entries(job.participants)
        .map(([name, s]) => ({
          name: `${name}.json`,
          sha256: s.exportPart?.sha256 ?? '',
          bytes: s.exportPart?.bytes ?? 0,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      set.receipt = signReceipt(
        { tenant, jobId: job._id, userId: job.userId, completedAt: at, files },
        this.#o.signingKey,
      );
    }
    const finished = createEvent(GdprJobFinished, {
      tenant,
      source: 'compliance',
      payload: { jobId: job._id, kind: job.kind, userId: job.userId, status },
    });
    const updated = await jobs.findOneAndUpdate(
      { _id: job._id, status: 'in-progress' },
      outboxPush<GdprJobDocument>([finished], { $set: set }),
      { returnDocument: 'after' },
    );
    if (!updated) return this.get(tenant, job._id);
    await this.#o.trail.record(tenant, {
      actor: { type: 'service', id: 'compliance' },
      action: `gdpr.${job.kind}.${status}`,
      resource: { type: 'gdpr-job', id: job._id },
      outcome: status === 'completed' ? 'success' : status === 'blocked' ? 'denied' : 'failure',
      metadata: {
        subject: job.userId,
        participants: Object.entries(job.participants).map(([name, s]) => `${name}:${s.status}`),
      },
    });
    return updated;
  }
}

function pendingParticipants(names: string[]): Record<string, ParticipantState> {
  return Object.fromEntries(names.map((name) => [name, { status: 'pending' as const }]));
}

export type { GdprJobKind };
