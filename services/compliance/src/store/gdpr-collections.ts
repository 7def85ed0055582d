/**
 * GDPR state in the tenant's database: jobs (with their outbox of gdpr.* events), export parts
 * uploaded by participants, consents with history. Participants are platform-wide
 * (parley_platform.gdpr_participants): a service registers once, for every tenant.
 */
import type { ExportReceipt } from '@parley/audit-chain';
import type { OutboxFields } from '@parley/outbox';
import { mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import type { PendingAuditFields } from '../domain/audit-trail.ts';

export type GdprJobKind = 'export' | 'erasure' | 'rectification';
export type GdprJobStatus = 'in-progress' | 'blocked' | 'completed' | 'failed';
export type ParticipantStatus = 'pending' | 'done' | 'failed' | 'blocked';

export interface ParticipantState {
  status: ParticipantStatus;
  reportedAt?: string;
  detail?: string;
  counts?: Record<string, number>;
  exportPart?: { sha256: string; bytes: number };
  holdIds?: string[];
}

/**
 * GDPR state is kept in documents that are inserted once and never updated concurrently: on a
 * Mongo-wire server whose updates are read-modify-write (FerretDB), two reports updating one job
 * document at once could lose one. So a job is its request (gdpr_jobs), its rounds (a resumed
 * erasure starts round 1, 2, ...: gdpr_rounds), one report per participant and round
 * (gdpr_reports, written only by that participant's report) and at most one settlement per round
 * (gdpr_settlements: inserted once under a unique _id, so exactly one replica settles a round).
 * Requests and the "finished" event ride in the outbox of the document whose insert they announce.
 */
export interface GdprJobDocument extends OutboxFields, PendingAuditFields {
  _id: string;
  kind: GdprJobKind;
  userId: string;
  requestedBy: string;
  requestedAt: string;
  /** Round 0's participants (empty when the request was blocked). */
  participants: string[];
  /** Set when the request itself was blocked by legal holds. */
  blocked?: { holdIds: string[]; exemption: string };
  rectification?: { participant: string; field: string; salt: string; beforeHash: string; afterHash: string };
  /** Rectifications are recorded done at once. */
  completedAt?: string;
}

export interface GdprRoundDocument extends OutboxFields, PendingAuditFields {
  _id: string; // `${jobId}:r${round}`
  jobId: string;
  round: number;
  participants: string[];
  startedAt: string;
  previousHoldIds: string[];
}

export interface GdprReportDocument extends ParticipantState {
  _id: string; // `${jobId}:r${round}:${participant}`
  jobId: string;
  round: number;
  participant: string;
}

export interface GdprSettlementDocument extends OutboxFields, PendingAuditFields {
  _id: string; // `${jobId}:r${round}`
  jobId: string;
  round: number;
  status: 'completed' | 'failed' | 'blocked';
  settledAt: string;
  receipt?: ExportReceipt;
}

/** What callers see: the documents above folded into one job with its current round's state. */
export interface GdprJob {
  _id: string;
  kind: GdprJobKind;
  userId: string;
  status: GdprJobStatus;
  requestedBy: string;
  requestedAt: string;
  updatedAt: string;
  completedAt?: string;
  round: number;
  participants: Record<string, ParticipantState>;
  holdIds?: string[];
  exemption?: string;
  receipt?: ExportReceipt;
  rectification?: GdprJobDocument['rectification'];
}

export interface ExportPartDocument {
  _id: string;
  jobId: string;
  userId: string;
  participant: string;
  /** The part exactly as uploaded (JSON text), so its digest is reproducible. */
  content: string;
  sha256: string;
  bytes: number;
  uploadedAt: string;
}

/** One consent change. Insert-only: the current choice is the latest change per purpose. */
export interface ConsentChangeDocument extends PendingAuditFields {
  _id: string;
  userId: string;
  purpose: string;
  granted: boolean;
  at: string;
  source: string;
  recordedBy?: string;
}

/** A person's consent for one purpose as served: the current choice and every change. */
export interface ConsentDocument {
  _id: string;
  userId: string;
  purpose: string;
  granted: boolean;
  at: string;
  source: string;
  history: { granted: boolean; at: string; source: string; recordedBy?: string }[];
}

export interface ParticipantDocument {
  _id: string;
  handles: ('export' | 'erasure')[];
  description: string;
  registeredAt: string;
}

export const GDPR_JOBS_COLLECTION = 'gdpr_jobs';

export const GDPR_OUTBOX_COLLECTIONS = [GDPR_JOBS_COLLECTION, 'gdpr_rounds', 'gdpr_settlements'];
/** Documents that may carry their own audit records (`_audit`) until AuditTrailSweeper or the writer appends them. */
export const AUDIT_PENDING_COLLECTIONS = [...GDPR_OUTBOX_COLLECTIONS, 'gdpr_consents'];

export function gdprCollections(client: MongoClient, tenant: string) {
  const db = client.db(mongoDatabaseName(tenant));
  return {
    jobs: db.collection<GdprJobDocument>(GDPR_JOBS_COLLECTION),
    rounds: db.collection<GdprRoundDocument>('gdpr_rounds'),
    reports: db.collection<GdprReportDocument>('gdpr_reports'),
    settlements: db.collection<GdprSettlementDocument>('gdpr_settlements'),
    exportParts: db.collection<ExportPartDocument>('gdpr_export_parts'),
    consents: db.collection<ConsentChangeDocument>('gdpr_consents'),
  };
}

export function participantsCollection(
  client: MongoClient,
  database = PLATFORM_DATABASE,
): Collection<ParticipantDocument> {
  return client.db(database).collection<ParticipantDocument>('gdpr_participants');
}

/** Indexes the relay and the job listing lean on (idempotent; the coordinator runs it once per tenant). */
export async function ensureGdprIndexes(client: MongoClient, tenant: string): Promise<void> {
  const c = gdprCollections(client, tenant);
  for (const outbox of [c.jobs, c.rounds, c.settlements]) {
    await outbox.createIndex({ _outboxPending: 1 }, { name: 'outbox_pending', sparse: true });
  }
  for (const pendingAudit of AUDIT_PENDING_COLLECTIONS) {
    await client
      .db(mongoDatabaseName(tenant))
      .collection(pendingAudit)
      .createIndex({ _auditPending: 1 }, { name: 'audit_pending', sparse: true });
  }
  await c.jobs.createIndex({ userId: 1, requestedAt: -1 }, { name: 'user_requested' });
  await c.consents.createIndex({ userId: 1, at: 1 }, { name: 'user_at' });
  await c.exportParts.createIndex({ userId: 1 }, { name: 'user' });
}
