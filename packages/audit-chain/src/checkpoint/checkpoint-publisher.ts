/**
 * Where signed checkpoints go besides the log's own database. A checkpoint kept only next to the
 * records proves nothing against someone who can write that database: they delete the tail and
 * the checkpoints that cover it, and the rest verifies clean. A published checkpoint lives where
 * the tenant can read and keep it (the compliance service uses the tenant's bucket), and the log
 * refuses to sign any tree that does not extend the latest published one.
 */
import type { KeyObject } from 'node:crypto';
import { type SignedCheckpoint, verifyCheckpointSignature } from './checkpoint.ts';

export interface CheckpointPublisher {
  /** Makes the checkpoint durable outside the database; a checkpoint counts only once published. */
  publish(tenant: string, checkpoint: SignedCheckpoint): Promise<void>;
  /** The largest checkpoint published for the tenant, as stored (the caller checks its signature). */
  latest(tenant: string): Promise<SignedCheckpoint | undefined>;
  /** Published checkpoints in size order, strictly after `afterSize` (what a tenant fetches). */
  list(tenant: string, options: { afterSize?: number; limit: number }): Promise<SignedCheckpoint[]>;
}

/**
 * Why a published checkpoint is not evidence of this log (undefined when it is: signed by a
 * trusted key for this log). The log refuses to sign rather than ignore such a checkpoint: a key
 * rotated without its predecessor wired, or a bucket object replaced, needs a person to look.
 */
export function publishedCheckpointFault(
  checkpoint: SignedCheckpoint,
  log: string,
  trustedKeys: ReadonlyMap<string, KeyObject>,
): string | undefined {
  if (checkpoint.log !== log) return `it belongs to log ${String(checkpoint.log)}`;
  if (!Number.isInteger(checkpoint.treeSize) || checkpoint.treeSize < 1) return 'its tree size is not a size';
  const key = trustedKeys.get(checkpoint.keyId);
  if (!key) return `it is signed by key ${String(checkpoint.keyId)}, which is not trusted`;
  return verifyCheckpointSignature(checkpoint, key) ? undefined : 'its signature does not verify';
}
