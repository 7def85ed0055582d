/**
 * Retention pruning as evidence. Before retention removes the bodies of expired records, the log
 * appends a prune record (action `audit.records.pruned`): an ordinary, hashed, chained record
 * whose metadata names each record it prunes by sequence and chain hash. A pruned record is then
 * proved by two things a verifier checks: its stub carries no body at all, and a prune record
 * later in the chain names its sequence with the very hash the stub, its neighbour's prevHash
 * and the Merkle leaf all commit to. A `pruned` mark with no prune record behind it (set by hand
 * to skip the re-hash) is reported, and a stub that still carries a body is re-hashed as usual.
 *
 * The action is reserved: AuditLog.append refuses it from producers; only AuditLog.recordPrune
 * (used by AuditPurgeTarget) writes it.
 */
import { createHash } from 'node:crypto';
import type { AuditRecordInput } from '@parley/contracts';
import { PRUNE_ACTION } from './prune-authorisations.ts';

export {
  isBodiless,
  PRUNABLE_FIELDS,
  PRUNE_ACTION,
  PRUNE_RECORDS_PER_EVENT,
  pruneAuthorisations,
} from './prune-authorisations.ts';

export interface PruneEntry {
  sequence: number;
  hash: string;
}

/** The prune record for these entries; its id derives from them, so a retried prune appends once. */
export function pruneRecordInput(
  tenant: string,
  entries: readonly PruneEntry[],
  before: Date,
  now: Date,
): AuditRecordInput {
  const sorted = [...entries].sort((a, b) => a.sequence - b.sequence);
  const digest = createHash('sha256')
    .update(`prune:${tenant}:${sorted.map((e) => `${e.sequence}:${e.hash}`).join(',')}`)
    .digest('hex');
  return {
    id: uuidFromDigest(digest),
    occurredAt: now.toISOString(),
    actor: { type: 'system', id: 'retention' },
    action: PRUNE_ACTION,
    resource: { type: 'audit-log', id: tenant },
    outcome: 'success',
    metadata: {
      before: before.toISOString(),
      sequences: sorted.map((e) => e.sequence),
      hashes: sorted.map((e) => e.hash),
    },
  };
}

function uuidFromDigest(hex: string): string {
  // RFC 9562 layout with version 8 (custom) and the RFC variant bits.
  const h = hex.slice(0, 32).split('');
  h[12] = '8';
  h[16] = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
