/**
 * Placing and lifting legal holds, with what each implies beyond the hold record:
 * - placing a hold on a person (or the tenant) cancels pending crypto-shredding of the keys it
 *   covers, because a key destroyed under a hold is evidence destroyed for good;
 * - lifting a hold lets blocked erasures proceed (GdprCoordinator.resumeBlocked).
 * Both are audited.
 */
import {
  type Keyring,
  KeyStateConflictError,
  SUBJECT_KEY_PREFIX,
  subjectKeyName,
  UnknownKeyError,
} from '@parley/keyring';
import { type LegalHold, type LegalHoldScope, LegalHoldStore } from '@parley/retention';
import type { MongoClient } from 'mongodb';
import type { AuditTrail } from './audit-trail.ts';
import { holdLiftedRecord, holdPlacedRecord } from './derived-audit-records.ts';
import type { GdprCoordinator } from './gdpr-coordinator.ts';

export class LegalHolds {
  readonly #client: MongoClient;
  readonly #keyring: Keyring;
  readonly #trail: AuditTrail;
  readonly #gdpr: GdprCoordinator;

  constructor(options: { client: MongoClient; keyring: Keyring; trail: AuditTrail; gdpr: GdprCoordinator }) {
    this.#client = options.client;
    this.#keyring = options.keyring;
    this.#trail = options.trail;
    this.#gdpr = options.gdpr;
  }

  store(tenant: string): LegalHoldStore {
    return new LegalHoldStore(this.#client, tenant);
  }

  async place(
    tenant: string,
    input: { scope: LegalHoldScope; reason: string; setBy: string },
  ): Promise<{ hold: LegalHold; destructionsCancelled: string[] }> {
    const hold = await this.store(tenant).place(input);
    const destructionsCancelled = await this.#cancelShredding(tenant, input.scope);
    // The hold document is the durable evidence: if this append is lost to a crash, the sweeper
    // rebuilds the record (same derived id) from the hold.
    await this.#trail.append(tenant, [holdPlacedRecord(this.#trail, hold, destructionsCancelled)]);
    return { hold, destructionsCancelled };
  }

  async lift(
    tenant: string,
    id: string,
    input: { liftedBy: string; reason: string },
  ): Promise<{ hold: LegalHold; resumedJobs: string[] } | undefined> {
    const hold = await this.store(tenant).lift(id, input);
    if (!hold) return undefined;
    const lifted = holdLiftedRecord(this.#trail, hold);
    if (lifted) await this.#trail.append(tenant, [lifted]);
    const resumed = await this.#gdpr.resumeBlocked(tenant);
    return { hold, resumedJobs: resumed.map((j) => j._id) };
  }

  /**
   * Cancels every pending destruction (crypto-shredding) that the tenant's active holds cover,
   * whoever scheduled it (an erasure before the hold, or a direct call to the crypto service).
   * The keyring's waiting period is at least 7 days, so a guard running hourly (HoldGuard) means
   * no key is destroyed under a hold while this service runs. Audited per key.
   */
  async enforce(tenant: string): Promise<string[]> {
    const holds = await this.store(tenant).active();
    if (holds.isEmpty) return [];
    const pending = (await this.#keyring.listKeys(tenant)).filter((k) => k.state === 'pending-destruction');
    const cancelled: string[] = [];
    for (const key of pending) {
      const covering = key.keyName.startsWith(SUBJECT_KEY_PREFIX)
        ? holds.coveringPerson(key.keyName.slice(SUBJECT_KEY_PREFIX.length))
        : holds.covering({}); // a tenant's own keys: only a tenant-wide hold covers them
      if (covering.length === 0) continue;
      try {
        await this.#keyring.cancelDestruction(tenant, key.keyName);
      } catch (error) {
        if (!(error instanceof KeyStateConflictError) && !(error instanceof UnknownKeyError)) throw error;
        continue;
      }
      cancelled.push(key.keyName);
      await this.#trail.record(tenant, {
        actor: { type: 'service', id: 'compliance' },
        action: 'compliance.legal-hold.destruction-cancelled',
        resource: { type: 'key', id: key.keyName },
        outcome: 'success',
        metadata: { holdIds: covering.map((h) => h.id) },
      });
    }
    return cancelled;
  }

  async #cancelShredding(tenant: string, scope: LegalHoldScope): Promise<string[]> {
    let keyNames: string[] = [];
    if (scope.kind === 'person') keyNames = [subjectKeyName(scope.userId)];
    if (scope.kind === 'tenant') {
      keyNames = (await this.#keyring.listKeys(tenant))
        .filter((k) => k.state === 'pending-destruction')
        .map((k) => k.keyName);
    }
    const cancelled: string[] = [];
    for (const keyName of keyNames) {
      if (scope.kind === 'person' && !keyName.startsWith(SUBJECT_KEY_PREFIX)) continue;
      try {
        await this.#keyring.cancelDestruction(tenant, keyName);
        cancelled.push(keyName);
      } catch (error) {
        // Not pending (nothing to cancel) or no such key: fine. Already destroyed: too late, and
        // cancelDestruction says so; the hold still stops everything else.
        if (!(error instanceof KeyStateConflictError) && !(error instanceof UnknownKeyError)) throw error;
      }
    }
    return cancelled;
  }
}
