/**
 * For tests: a tenant's audit log built with the Node side's hashing and Ed25519 signing, record
 * by record as the service appends them, and a signer of its checkpoints at any size. The offline
 * verifier's test (verify-cli.test.ts) and the browser-equality test
 * (tests/integration/audit-chain-browser.test.ts) both make their bundles from it.
 */
import { logName, signCheckpoint } from '../checkpoint/checkpoint.ts';
import type { SigningKey } from '../checkpoint/signing-key.ts';
import { toHex } from '../merkle/hashing.ts';
import { MerkleTree } from '../merkle/merkle-tree.ts';
import { type AuditRecord, computeRecordHash, GENESIS_HASH, recordLeafHash } from '../record/audit-record.ts';

export function buildSignedLog(options: {
  tenant: string;
  key: SigningKey;
  size: number;
  /** Records from this sequence on differ (a history rewritten there). */
  rewriteFrom?: number;
  /** Added to each record's metadata (non-ASCII text, to prove both runtimes hash the same bytes). */
  note?: string;
}) {
  const { tenant, key, size } = options;
  const rewriteFrom = options.rewriteFrom ?? Number.POSITIVE_INFINITY;
  const records: AuditRecord[] = [];
  const tree = new MerkleTree();
  let prevHash = GENESIS_HASH;
  for (let sequence = 0; sequence < size; sequence += 1) {
    const body = {
      tenant,
      sequence,
      id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
      occurredAt: '2026-11-28T10:00:00.000Z',
      appendedAt: '2026-11-28T10:00:01.000Z',
      source: 'auth',
      actor: { type: 'user' as const, id: `u-${sequence % 3}` },
      action: 'auth.security.login-succeeded',
      resource: { type: 'session', id: `s-${sequence}` },
      outcome: sequence >= rewriteFrom ? ('failure' as const) : ('success' as const),
      metadata: { n: sequence, ...(options.note === undefined ? {} : { note: options.note }) },
      personal: [],
      prevHash,
    };
    const hash = computeRecordHash(body);
    records.push({ ...body, hash });
    tree.append(recordLeafHash(hash));
    prevHash = hash;
  }
  const checkpoint = (at: number) =>
    signCheckpoint(
      {
        log: logName(tenant),
        treeSize: at,
        rootHash: toHex(tree.root(at)),
        issuedAt: '2026-11-28T10:00:02.000Z',
        keyId: key.keyId,
      },
      key.privateKey,
    );
  return { records, tree, checkpoint };
}
