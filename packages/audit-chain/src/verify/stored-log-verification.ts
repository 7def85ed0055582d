/**
 * Verifying one tenant's stored log in full: every hash, link and signed checkpoint, the latest
 * published one included. The database's own checkpoints can be deleted with the tail they
 * cover; the published one cannot be deleted from there, so it is checked too.
 */
import type { KeyObject } from 'node:crypto';
import type { CheckpointPublisher } from '../checkpoint/checkpoint-publisher.ts';
import type { StoredAuditRecord } from '../record/audit-record.ts';
import { type AuditCollections, checkpointFromDocument, fromDocument } from '../store/audit-collections.ts';
import { type ChainVerification, verifyChain } from './chain-verifier.ts';

export async function verifyStoredLog(
  tenant: string,
  collections: AuditCollections,
  publisher: CheckpointPublisher | undefined,
  publicKeys: ReadonlyMap<string, KeyObject>,
): Promise<ChainVerification> {
  const checkpoints = (await collections.checkpoints.find().sort({ _id: 1 }).toArray()).map(
    checkpointFromDocument,
  );
  const published = await publisher?.latest(tenant);
  if (
    published &&
    !checkpoints.some((c) => c.treeSize === published.treeSize && c.signature === published.signature)
  ) {
    checkpoints.push(published);
  }
  const cursor = collections.records.find({ tenant }).sort({ sequence: 1 }).batchSize(1000);
  async function* records(): AsyncGenerator<StoredAuditRecord> {
    for await (const doc of cursor) yield fromDocument(doc);
  }
  return verifyChain({ tenant, records: records(), checkpoints, publicKeys });
}
