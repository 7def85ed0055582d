/**
 * The audit records that documents written through @parley/retention imply: a legal hold placed
 * or lifted, a retention run finished. Those documents cannot carry an `_audit` field (another
 * package writes them), but they are durable evidence of the change, so the record is rebuilt
 * from the document with an id derived from it. The inline append (right after the change) and
 * AuditTrailSweeper (after a crash) build the same id, and the chain keeps whichever came first.
 * A rebuilt record lacks what only the request knew (the cancelled destructions, who ran a
 * retention run) and says so with `recovered: true`.
 */
import type { AuditRecordInput } from '@parley/contracts';
import type { LegalHold, RetentionRun } from '@parley/retention';
import { type AuditTrail, actorFrom, derivedRecordId } from './audit-trail.ts';

export function holdPlacedRecord(
  trail: AuditTrail,
  hold: LegalHold,
  destructionsCancelled?: string[],
): AuditRecordInput {
  const action = 'compliance.legal-hold.placed';
  const scope = hold.scope;
  return trail.entry(
    {
      actor: actorFrom(hold.setBy),
      action,
      resource: { type: 'legal-hold', id: hold.id },
      outcome: 'success',
      metadata: {
        scope: scope.kind,
        target:
          scope.kind === 'person'
            ? scope.userId
            : scope.kind === 'conversation'
              ? scope.conversationId
              : null,
        reason: hold.reason,
        ...(destructionsCancelled ? { destructionsCancelled } : { recovered: true }),
      },
    },
    { id: derivedRecordId(action, hold.id), occurredAt: hold.setAt },
  );
}

/** Undefined for a hold that is not lifted. */
export function holdLiftedRecord(trail: AuditTrail, hold: LegalHold): AuditRecordInput | undefined {
  if (!hold.liftedAt) return undefined;
  const action = 'compliance.legal-hold.lifted';
  return trail.entry(
    {
      actor: actorFrom(hold.liftedBy ?? 'service:compliance'),
      action,
      resource: { type: 'legal-hold', id: hold.id },
      outcome: 'success',
      metadata: { reason: hold.liftReason ?? null },
    },
    { id: derivedRecordId(action, hold.id), occurredAt: hold.liftedAt },
  );
}

export function retentionRunRecord(
  trail: AuditTrail,
  run: RetentionRun,
  requestedBy?: string,
): AuditRecordInput {
  const action = run.dryRun ? 'retention.run.planned' : 'retention.run.completed';
  return trail.entry(
    {
      actor: { type: 'service', id: requestedBy ?? 'compliance' },
      action,
      resource: { type: 'retention-run', id: run.id },
      outcome: run.status === 'succeeded' ? 'success' : 'failure',
      metadata: {
        policy: run.policy,
        status: run.status,
        deleted: Object.values(run.counts).reduce((n, c) => n + (c?.deleted ?? 0), 0),
        skippedHeld: Object.values(run.counts).reduce((n, c) => n + (c?.skippedHeld ?? 0), 0),
        durationMs: run.durationMs,
        errors: run.errors.length,
        ...(requestedBy ? {} : { recovered: true }),
      },
    },
    { id: derivedRecordId(action, run.id), occurredAt: run.finishedAt },
  );
}
