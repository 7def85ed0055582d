/**
 * Verifies, in the browser, the audit records shown: each record's hash is SHA-256 (Web Crypto)
 * over the RFC 8785 canonical JSON of its hashed fields (as packages/audit-chain computes it), and
 * each record's prevHash is the hash of the record before it. A pruned record keeps only its
 * place (sequence, hashes), so only its link is checked. Not yet: inclusion proofs against the
 * signed checkpoint and the published key.
 */
import canonicalize from 'canonicalize';

export interface ShownRecord {
  sequence: number;
  hash: string;
  prevHash: string;
  pruned?: boolean;
  [field: string]: unknown;
}

const HASHED_FIELDS = [
  'tenant',
  'sequence',
  'id',
  'occurredAt',
  'appendedAt',
  'source',
  'actor',
  'action',
  'resource',
  'outcome',
  'metadata',
  'personal',
  'requestId',
  'prevHash',
] as const;

export type ChainVerdict = { ok: true; checked: number } | { ok: false; sequence: number; reason: string };

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function verifyChain(records: readonly ShownRecord[]): Promise<ChainVerdict> {
  const ordered = [...records].sort((a, b) => a.sequence - b.sequence);
  for (const [index, record] of ordered.entries()) {
    const before = ordered[index - 1];
    if (before && before.sequence === record.sequence - 1 && record.prevHash !== before.hash) {
      return { ok: false, sequence: record.sequence, reason: 'does not link to the record before it' };
    }
    if (record.pruned) continue;
    const body: Record<string, unknown> = {};
    for (const field of HASHED_FIELDS) if (record[field] !== undefined) body[field] = record[field];
    const text = canonicalize(body);
    if (text === undefined || (await sha256Hex(text)) !== record.hash) {
      return { ok: false, sequence: record.sequence, reason: 'its content does not match its hash' };
    }
  }
  return { ok: true, checked: ordered.length };
}
