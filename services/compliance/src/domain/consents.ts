/**
 * Consent records: per person and purpose, the current choice and its whole history (when,
 * granted or withdrawn, where it was made, who recorded it). Each change is audited.
 */
import type { MongoClient } from 'mongodb';
import { type ConsentDocument, gdprCollections } from '../store/gdpr-collections.ts';
import { type AuditTrail, actorFrom } from './audit-trail.ts';

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
    const at = new Date().toISOString();
    const entry = {
      granted: change.granted,
      at,
      source: change.source,
      ...(change.recordedBy ? { recordedBy: change.recordedBy } : {}),
    };
    const updated = await gdprCollections(this.#client, tenant).consents.findOneAndUpdate(
      { _id: `${change.userId}:${change.purpose}` },
      {
        $set: {
          userId: change.userId,
          purpose: change.purpose,
          granted: change.granted,
          at,
          source: change.source,
        },
        $push: { history: entry },
      },
      { upsert: true, returnDocument: 'after' },
    );
    if (!updated) throw new Error('consent upsert returned nothing');
    await this.#trail.record(tenant, {
      actor: actorFrom(change.recordedBy ?? change.userId),
      action: change.granted ? 'gdpr.consent.granted' : 'gdpr.consent.withdrawn',
      resource: { type: 'consent', id: updated._id },
      outcome: 'success',
      metadata: { subject: change.userId, purpose: change.purpose, source: change.source },
    });
    return updated;
  }

  async forUser(tenant: string, userId: string): Promise<ConsentDocument[]> {
    return gdprCollections(this.#client, tenant).consents.find({ userId }).sort({ purpose: 1 }).toArray();
  }
}
