/**
 * GDPR state in the tenant's database: jobs (with their outbox of gdpr.* events), export parts
 * uploaded by participants, consents with history. Participants are platform-wide
 * (parley_platform.gdpr_participants): a service registers once, for every tenant.
 */
import type { OutboxFields } from '@parley/outbox';
import { mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';

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

export interface ExportReceipt {
  format: 'parley-gdpr-export-receipt/v1';
  tenant: string;
  jobId: string;
  userId: string;
  completedAt: string;
  files: { name: string; sha256: string; bytes: number }[];
  keyId: string;
  /** base64 Ed25519 over the RFC 8785 JSON of every other field. */
  signature: string;
}

export interface GdprJobDocument extends OutboxFields {
  _id: string;
  kind: GdprJobKind;
  userId: string;
  status: GdprJobStatus;
  requestedBy: string;
  requestedAt: string;
  updatedAt: string;
  completedAt?: string;
  participants: Record<string, ParticipantState>;
  holdIds?: string[];
  exemption?: string;
  receipt?: ExportReceipt;
  rectification?: { participant: string; field: string; salt: string; beforeHash: string; afterHash: string };
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

export function gdprCollections(client: MongoClient, tenant: string) {
  const db = client.db(mongoDatabaseName(tenant));
  return {
    jobs: db.collection<GdprJobDocument>(GDPR_JOBS_COLLECTION),
    exportParts: db.collection<ExportPartDocument>('gdpr_export_parts'),
    consents: db.collection<ConsentDocument>('gdpr_consents'),
  };
}

export function participantsCollection(
  client: MongoClient,
  database = PLATFORM_DATABASE,
): Collection<ParticipantDocument> {
  return client.db(database).collection<ParticipantDocument>('gdpr_participants');
}
