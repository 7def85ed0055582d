/**
 * The parts of a GDPR export: each participant uploads its part (stored with its digest), a
 * "done" report is checked against what was uploaded, and a completed export is served as one
 * archive with the signed receipt.
 */
import { createHash } from 'node:crypto';
import type { GdprParticipantReport } from '@parley/contracts';
import { zipSync } from 'fflate';
import type { MongoClient } from 'mongodb';
import { type GdprJob, gdprCollections, type ParticipantState } from '../store/gdpr-collections.ts';
import { GdprError } from './gdpr-error.ts';

export async function storeExportPart(
  client: MongoClient,
  tenant: string,
  job: GdprJob,
  participant: string,
  data: unknown,
): Promise<{ sha256: string; bytes: number }> {
  if (job.kind !== 'export') throw new GdprError('invalid', `job ${job._id} is not an export`);
  if (!(participant in job.participants))
    throw new GdprError('invalid', `${participant} is not a participant of job ${job._id}`);
  if (job.status === 'completed') throw new GdprError('conflict', `job ${job._id} is already complete`);
  const content = JSON.stringify(data ?? null);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const bytes = Buffer.byteLength(content);
  await gdprCollections(client, tenant).exportParts.replaceOne(
    { _id: `${job._id}:${participant}` },
    {
      jobId: job._id,
      userId: job.userId,
      participant,
      content,
      sha256,
      bytes,
      uploadedAt: new Date().toISOString(),
    },
    { upsert: true },
  );
  return { sha256, bytes };
}

/** A participant's "done" holds only if its part was uploaded and matches the reported digest. */
export async function checkExportPart(
  client: MongoClient,
  tenant: string,
  job: GdprJob,
  report: GdprParticipantReport,
  state: ParticipantState,
): Promise<ParticipantState> {
  const part = await gdprCollections(client, tenant).exportParts.findOne({
    _id: `${job._id}:${report.participant}`,
  });
  if (!part) return { ...state, status: 'failed', detail: 'reported done, but no export part was uploaded' };
  if (report.exportPart && report.exportPart.sha256 !== part.sha256) {
    return { ...state, status: 'failed', detail: 'the uploaded part does not match the reported digest' };
  }
  return { ...state, exportPart: { sha256: part.sha256, bytes: part.bytes } };
}

/** The archive of a completed export: one JSON file per participant, the receipt, a README. */
export async function exportArchive(
  client: MongoClient,
  tenant: string,
  job: GdprJob,
): Promise<{ zip: Uint8Array; fileName: string }> {
  if (job.kind !== 'export') throw new GdprError('invalid', `job ${job._id} is not an export`);
  if (job.status !== 'completed' || !job.receipt)
    throw new GdprError('conflict', `export ${job._id} is ${job.status}`);
  const c = gdprCollections(client, tenant);
  const files: Record<string, Uint8Array> = {};
  for (const participant of Object.keys(job.participants)) {
    const part = await c.exportParts.findOne({ _id: `${job._id}:${participant}` });
    if (!part) {
      throw new GdprError(
        'gone',
        `export ${job._id} no longer holds ${participant}'s part (expired, or the person was erased)`,
      );
    }
    files[`${participant}.json`] = Buffer.from(part.content);
  }
  files['receipt.json'] = Buffer.from(JSON.stringify(job.receipt, null, 2));
  files['README.txt'] = Buffer.from(
    'Everything Parley holds about you, one file per service. receipt.json lists each file with its\n' +
      'SHA-256 and is signed (Ed25519) with the key published at /v1/audit/signing-keys.\n',
  );
  return { zip: zipSync(files, { level: 6 }), fileName: `parley-export-${job._id}.zip` };
}
