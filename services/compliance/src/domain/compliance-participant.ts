/**
 * The compliance service's own part in exports and erasures, for what it holds: the audit log
 * (records where the person acts or is a data subject, their sealed personal fields opened for
 * the export), consents, earlier GDPR jobs, and export archives.
 *
 * Erasure crypto-shreds the subject key `subject:<userId>`: scheduling its destruction makes it
 * unusable at once (keyring refuses to decrypt a key pending destruction), and the crypto
 * service's sweeper destroys the material after the waiting period. Export parts about the
 * person are deleted. The audit records stay, hashes and proofs intact, with ciphertext no one
 * can open; consents stay as evidence of lawful processing (GDPR Art. 7(1)), holding only the
 * pseudonymous user id, a purpose and a time.
 */
import { type AuditLog, isPruned, type PersonalDataSealer } from '@parley/audit-chain';
import type { GdprParticipantReport } from '@parley/contracts';
import { type Keyring, KeyStateConflictError, subjectKeyName } from '@parley/keyring';
import type { MongoClient } from 'mongodb';
import { gdprCollections } from '../store/gdpr-collections.ts';

/** The job a participant works on: which one, what kind, about whom. */
export interface GdprJobRef {
  _id: string;
  kind: 'export' | 'erasure';
  userId: string;
}

import type { AuditLogs } from './audit-logs.ts';
import { withoutPendingAudit } from './audit-trail.ts';
import { COMPLIANCE_PARTICIPANT } from './participant-registry.ts';

export interface ComplianceParticipantOptions {
  client: MongoClient;
  auditLogs: AuditLogs;
  keyring: Keyring;
  sealer: PersonalDataSealer;
  erasureWaitingDays: number;
}

export class ComplianceParticipant {
  readonly #o: ComplianceParticipantOptions;

  constructor(options: ComplianceParticipantOptions) {
    this.#o = options;
  }

  async exportPart(
    tenant: string,
    job: GdprJobRef,
    upload: (data: unknown) => Promise<{ sha256: string; bytes: number }>,
  ): Promise<GdprParticipantReport> {
    const log = await this.#o.auditLogs.get(tenant);
    const collections = gdprCollections(this.#o.client, tenant);
    const data = {
      userId: job.userId,
      auditRecords: await this.#auditRecordsAbout(log, tenant, job.userId),
      consents: (await collections.consents.find({ userId: job.userId }).sort({ at: 1 }).toArray()).map(
        // A change whose audit record is still pending carries it; the export holds the consent only.
        ({ _id, ...c }) => withoutPendingAudit(c),
      ),
      gdprRequests: (await collections.jobs.find({ userId: job.userId }).toArray()).map((j) => ({
        id: j._id,
        kind: j.kind,
        requestedAt: j.requestedAt,
      })),
    };
    const part = await upload(data);
    return {
      jobId: job._id,
      kind: 'export',
      participant: COMPLIANCE_PARTICIPANT,
      status: 'done',
      exportPart: part,
      counts: { audit_records: data.auditRecords.length, consents: data.consents.length },
    };
  }

  async erase(tenant: string, job: GdprJobRef): Promise<GdprParticipantReport> {
    const keyName = subjectKeyName(job.userId);
    // Ensure first: a person with no key yet gets one that is born shredded, so records that
    // arrive later about them are withheld instead of stored in the clear.
    await this.#o.keyring.ensureTenantKey(tenant, keyName);
    let keyState = 'pending-destruction';
    try {
      const meta = await this.#o.keyring.scheduleDestruction(tenant, keyName, {
        waitingDays: this.#o.erasureWaitingDays,
      });
      keyState = meta.state;
    } catch (error) {
      if (!(error instanceof KeyStateConflictError)) throw error;
    }
    const collections = gdprCollections(this.#o.client, tenant);
    const parts = await collections.exportParts.deleteMany({ userId: job.userId });
    return {
      jobId: job._id,
      kind: 'erasure',
      participant: COMPLIANCE_PARTICIPANT,
      status: 'done',
      detail: `subject key ${keyState}; audit records keep only ciphertext`,
      counts: { subject_keys: 1, export_parts: parts.deletedCount },
    };
  }

  async #auditRecordsAbout(log: AuditLog, tenant: string, userId: string) {
    const records = await log.recordsAbout(userId);
    const out = [];
    for (const record of records) {
      if (isPruned(record)) continue;
      const mine = record.personal.filter((p) => p.subject === userId);
      const opened = [];
      for (const entry of mine) opened.push(await this.#o.sealer.open(tenant, entry));
      out.push({
        sequence: record.sequence,
        occurredAt: record.occurredAt,
        action: record.action,
        actor: record.actor,
        resource: record.resource,
        outcome: record.outcome,
        metadata: record.metadata,
        // Only this person's own personal fields: another subject's never leak into an export.
        personal: opened.filter((fields) => fields !== undefined),
        hash: record.hash,
      });
    }
    return out;
  }
}
