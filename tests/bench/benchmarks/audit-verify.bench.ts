/**
 * Chain verification (re-canonicalising each record per RFC 8785, SHA-256, prevHash links, the
 * Merkle tree and a checkpoint root and signature every 1000 records) against raw SHA-256 over
 * the same canonical bytes, in memory on both sides: what verification costs beyond hashing.
 * The issue sets no goal for it; the ratio is reported.
 */
import { createHash } from 'node:crypto';
import {
  type AuditRecord,
  canonicalRecordBytes,
  computeRecordHash,
  GENESIS_HASH,
  generateSigningKeyPem,
  logName,
  MerkleTree,
  recordLeafHash,
  type SignedCheckpoint,
  signCheckpoint,
  signingKeyFromPem,
  toHex,
  verifyChain,
} from '@parley/audit-chain';
import { type Benchmark, type BenchmarkOutcome, runPair } from '../harness.ts';

const RECORDS = 5_000;

function buildLog(): {
  records: AuditRecord[];
  checkpoints: SignedCheckpoint[];
  keys: Map<string, import('node:crypto').KeyObject>;
} {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const tree = new MerkleTree();
  const records: AuditRecord[] = [];
  const checkpoints: SignedCheckpoint[] = [];
  let prevHash = GENESIS_HASH;
  for (let sequence = 0; sequence < RECORDS; sequence++) {
    const body = {
      tenant: 'bench',
      sequence,
      id: `00000000-0000-4000-8000-${sequence.toString().padStart(12, '0')}`,
      occurredAt: '2026-11-28T10:00:00.000Z',
      appendedAt: '2026-11-28T10:00:01.000Z',
      source: 'auth',
      actor: { type: 'user' as const, id: `u-${sequence % 50}` },
      action: 'auth.security.login-succeeded',
      resource: { type: 'session', id: `s-${sequence}` },
      outcome: 'success' as const,
      metadata: { mfa: true, attempts: 1, client: 'web' },
      personal: [
        {
          subject: `u-${sequence % 50}`,
          keyName: `subject:u-${sequence % 50}`,
          ciphertext: 'AQEAAAAB'.repeat(12),
        },
      ],
      prevHash,
    };
    const hash = computeRecordHash(body);
    records.push({ ...body, hash });
    tree.append(recordLeafHash(hash));
    prevHash = hash;
    if ((sequence + 1) % 1000 === 0) {
      checkpoints.push(
        signCheckpoint(
          {
            log: logName('bench'),
            treeSize: sequence + 1,
            rootHash: toHex(tree.root()),
            issuedAt: body.appendedAt,
            keyId: key.keyId,
          },
          key.privateKey,
        ),
      );
    }
  }
  return { records, checkpoints, keys: new Map([[key.keyId, key.publicKey]]) };
}

const benchmark: Benchmark = {
  name: 'audit-verify-vs-sha256',
  goal: 'reported: chain verification records/s vs raw SHA-256 over the same bytes (no goal set)',
  needsStack: false,
  async run(context): Promise<BenchmarkOutcome> {
    const { records, checkpoints, keys } = buildLog();
    const bytes = records.map((r) => canonicalRecordBytes(r));
    let lastOk = true;
    const parley = async () => {
      const result = await verifyChain({ tenant: 'bench', records, checkpoints, publicKeys: keys });
      lastOk = result.ok;
    };
    const reference = async () => {
      for (const b of bytes) createHash('sha256').update(b).digest();
    };
    const time = async (op: () => Promise<void>) => {
      const started = performance.now();
      await op();
      return performance.now() - started;
    };
    await time(parley);
    await time(reference);
    const pairs: { p: number; r: number }[] = [];
    const budgetMs = Math.min(context.roundMs * context.rounds, 6_000);
    let spent = 0;
    while (spent < budgetMs) {
      const [p, r] = await runPair(
        pairs.length,
        () => time(parley),
        () => time(reference),
      );
      const pair = { p, r };
      pairs.push(pair);
      spent += pair.p + pair.r;
    }
    const quieter = pairs
      .sort((a, b) => a.p + a.r - (b.p + b.r))
      .slice(0, Math.max(1, Math.ceil(pairs.length / 2)));
    const total = quieter.length * RECORDS;
    return {
      parley: {
        label: 'verifyChain (canonical JSON, hash, links, tree, checkpoints)',
        value: total / (quieter.reduce((t, x) => t + x.p, 0) / 1000),
        unit: 'records/s',
      },
      reference: {
        label: 'SHA-256 over the same canonical bytes',
        value: total / (quieter.reduce((t, x) => t + x.r, 0) / 1000),
        unit: 'records/s',
      },
      details: {
        records: RECORDS,
        checkpoints: checkpoints.length,
        verified: String(lastOk),
        pairs: pairs.length,
      },
    };
  },
};

export default benchmark;
