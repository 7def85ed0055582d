/**
 * Legal holds as the operator sees them: a tenant under any active hold (tenant-wide, on a person
 * or on a conversation) is neither deleted nor shredded, and none of its keys is destroyed. Read
 * through @parley/retention, the one owner of holds, whose reads include the platform database's
 * copy, so the answer is the same after the tenant's own database is gone.
 */
import type { DestructionHoldCheck } from '@parley/keyring';
import { type LegalHold, LegalHoldStore } from '@parley/retention';
import type { MongoClient } from 'mongodb';

export class TenantUnderLegalHoldError extends Error {
  readonly holds: readonly LegalHold[];

  constructor(tenant: string, holds: readonly LegalHold[]) {
    super(`tenant ${tenant} is under legal hold ${holds.map((h) => h.id).join(', ')}`);
    this.name = 'TenantUnderLegalHoldError';
    this.holds = holds;
  }
}

/** The tenant's active holds, read afresh (never cached: a hold placed a moment ago counts now). */
export async function activeTenantHolds(mongo: MongoClient, tenant: string): Promise<readonly LegalHold[]> {
  return (await new LegalHoldStore(mongo, tenant).active()).holds;
}

/** Throws TenantUnderLegalHoldError when any hold is active. */
export async function assertTenantNotHeld(mongo: MongoClient, tenant: string): Promise<void> {
  const holds = await activeTenantHolds(mongo, tenant);
  if (holds.length > 0) throw new TenantUnderLegalHoldError(tenant, holds);
}

/**
 * For the operator's keyring: every active hold of a tenant keeps every one of its keys. Stricter
 * than the crypto service's per-key rule on purpose: the operator destroys keys only when a whole
 * tenant goes, and the tenant key also seals the messages of a held person or conversation.
 */
export function tenantKeyDestructionHolds(mongo: MongoClient): DestructionHoldCheck {
  return async (tenant) =>
    (await activeTenantHolds(mongo, tenant)).map((hold) => ({ id: hold.id, reason: hold.reason }));
}

/**
 * What status and events say about a blocked deletion: each hold's id, scope and time, not its
 * reason or who set it (a case name or a counsel's e-mail does not belong in cluster status).
 */
export function describeHolds(holds: readonly LegalHold[]): string {
  return holds
    .map((h) => {
      const scope =
        h.scope.kind === 'person'
          ? `person ${h.scope.userId}`
          : h.scope.kind === 'conversation'
            ? `conversation ${h.scope.conversationId}`
            : 'the whole tenant';
      return `${h.id} (${scope}, since ${h.setAt})`;
    })
    .join('; ');
}
