/**
 * Consent records: per person and purpose, the current choice and its whole history (when,
 * granted or withdrawn, where it was made, who recorded it). Each change is audited, and kept
 * as its own document (insert-only), so concurrent changes never overwrite one another.
 */
import { randomUUID } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { type ConsentDocument, gdprCollections } from '../store/gdpr-collections.ts';
import { type AuditTrail, actorFrom, withPendingAudit } from './audit-trail.ts';

export interface ConsentChange {
  userId: string;
  purpose: string;
  granted: boolean;
  source: string;
  recordedBy?: string | undefined;
}

export class ConsentStore {
  readonly #client: MongoClient;
  readonly #trail: AuditTrail;

  constructor(client: MongoClient, trail: AuditTrail) {
    this.#client = client;
    this.#trail = trail;
  }

  async record(tenant: string, change: ConsentChange): Promise<ConsentDocument> {
    // Each change is its own document, inserted once: no update can lose another's history.
    const at = new Date().toISOString();
    const _id = randomUUID();
    const audit = this.#trail.entry({
      actor: actorFrom(change.recordedBy ?? change.userId),
      action: change.granted ? 'gdpr.consent.granted' : 'gdpr.consent.withdrawn',
      resource: { type: 'consent', id: `${change.userId}:${change.purpose}` },
      outcome: 'success',
      metadata: { subject: change.userId, purpose: change.purpose, source: change.source },
    });
    // The change and its audit record in one insert; settle() appends the record and clears it.
    const consents = gdprCollections(this.#client, tenant).consents;
    await consents.insertOne(
      withPendingAudit(
        {
          _id,
          userId: change.userId,
          purpose: change.purpose,
          granted: change.granted,
          at,
          source: change.source,
          ...(change.recordedBy ? { recordedBy: change.recordedBy } : {}),
        },
        [audit],
      ),
    );
    await this.#trail.settle(tenant, consents, _id, [audit]);
    const current = (await this.forUser(tenant, change.userId)).find((c) => c.purpose === change.purpose);
    if (!current) throw new Error('a consent change just written cannot be read back');
    return current;
  }

  async forUser(tenant: string, userId: string): Promise<ConsentDocument[]> {
    const changes = await gdprCollections(this.#client, tenant).consents.find({ userId }).toArray();
    changes.sort((a, b) => a.at.localeCompare(b.at) || a._id.localeCompare(b._id));
    const byPurpose = new Map<string, ConsentDocument>();
    for (const change of changes) {
      const entry = {
        granted: change.granted,
        at: change.at,
        source: change.source,
        ...(change.recordedBy ? { recordedBy: change.recordedBy } : {}),
      };
      const existing = byPurpose.get(change.purpose);
      byPurpose.set(change.purpose, {
        _id: `${userId}:${change.purpose}`,
        userId,
        purpose: change.purpose,
        granted: change.granted,
        at: change.at,
        source: change.source,
        history: [...(existing?.history ?? []), entry],
      });
    }
    return [...byPurpose.values()].sort((a, b) => a.purpose.localeCompare(b.purpose));
  }
}
