/**
 * What a checkpoint's signature covers: the RFC 8785 canonical JSON of its five fields. No Node
 * module here, so the browser's verifier (browser/) checks the same bytes with Web Crypto.
 */
import canonicalize from 'canonicalize';

export interface CheckpointBody {
  /** Names the log; binds the checkpoint to one tenant so it cannot be replayed for another. */
  log: string;
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  keyId: string;
}

export function checkpointText(body: CheckpointBody): string {
  const { log, treeSize, rootHash, issuedAt, keyId } = body;
  return canonicalize({ log, treeSize, rootHash, issuedAt, keyId }) ?? '';
}
