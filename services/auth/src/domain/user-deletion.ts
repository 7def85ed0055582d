/**
 * Deleting a person's auth data (an admin deleting a user, or a GDPR erasure) is refused while a
 * legal hold covers the person or the whole tenant. Holds belong to the compliance service and
 * are read, never copied, through @parley/retention's LegalHoldStore, at the moment of deletion
 * (a hold placed a second ago counts; a lifted one no longer does). A refusal is audited
 * (`outcome: denied`, `reason: legal-exemption`, the hold ids) and answered with the same
 * `legal-hold` problem type the compliance and crypto services use. Fails closed: holds that
 * cannot be read mean no deletion.
 */
import type { AuditActor } from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import { type LegalHold, LegalHoldStore } from '@parley/retention';
import type { MongoClient } from 'mongodb';
import type { TenantCollections } from '../store/tenant-store.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import type { ErasureResult, PersonalData } from './personal-data.ts';
import { recordSecurityEvents } from './security-log.ts';

/** Why a held deletion is refused, in the words GDPR gives (as the compliance service records it). */
export const LEGAL_EXEMPTION =
  'legal-hold: GDPR Art. 17(3)(e), establishment, exercise or defence of legal claims';

export type DeletionPath = 'admin-deletion' | 'gdpr-erasure';

export function legalHoldProblem(userId: string, holds: LegalHold[]): ProblemError {
  return new ProblemError(
    409,
    'legal-hold',
    'Under legal hold',
    `The user ${userId} cannot be deleted while a legal hold covers them or the tenant`,
    { holdIds: holds.map((h) => h.id), exemption: LEGAL_EXEMPTION },
  );
}

export class UserDeletion {
  readonly #mongo: MongoClient;
  readonly #personalData: PersonalData;
  readonly #events: SecurityEvents;

  constructor(mongo: MongoClient, personalData: PersonalData, events: SecurityEvents) {
    this.#mongo = mongo;
    this.#personalData = personalData;
    this.#events = events;
  }

  /** The active holds covering the person (theirs and the tenant's), read now. */
  async holdsOn(tenant: string, userId: string): Promise<LegalHold[]> {
    return (await new LegalHoldStore(this.#mongo, tenant).active()).coveringPerson(userId);
  }

  /**
   * The holds that forbid deleting the person; when there are any, the refusal is audited here,
   * so every path that asks leaves the same record.
   */
  async refusalFor(
    c: TenantCollections,
    userId: string,
    actor: AuditActor,
    path: DeletionPath,
    context: RequestContext,
  ): Promise<LegalHold[]> {
    const holds = await this.holdsOn(c.tenant, userId);
    if (holds.length === 0) return holds;
    await recordSecurityEvents(c, [
      await this.#events.create({
        tenant: c.tenant,
        action: 'auth.security.user-deletion-denied',
        outcome: 'denied',
        actor,
        resource: { type: 'user', id: userId },
        context,
        metadata: {
          userId,
          via: path,
          reason: 'legal-exemption',
          exemption: LEGAL_EXEMPTION,
          holdIds: holds.map((h) => h.id),
        },
      }),
    ]);
    return holds;
  }

  /** Deletes (anonymises) the person's auth data unless a hold forbids it (409 legal-hold). */
  async delete(
    c: TenantCollections,
    userId: string,
    actor: AuditActor,
    path: DeletionPath,
    context: RequestContext,
  ): Promise<ErasureResult> {
    const holds = await this.refusalFor(c, userId, actor, path, context);
    if (holds.length > 0) throw legalHoldProblem(userId, holds);
    return this.#personalData.erase(c, userId, actor, path);
  }
}
