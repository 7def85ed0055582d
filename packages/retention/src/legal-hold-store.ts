/**
 * Legal holds in the tenant's own database (collection `legal_holds`), where every service and the
 * operator can read them. Holds are never deleted: lifting stamps liftedAt/liftedBy, so the record
 * of what was preserved and why outlives the hold.
 */
import { randomUUID } from 'node:crypto';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import { HoldSet, type LegalHold, type LegalHoldScope } from './legal-hold.ts';

interface LegalHoldDocument extends Omit<LegalHold, 'id'> {
  _id: string;
}

export const LEGAL_HOLDS_COLLECTION = 'legal_holds';

export class LegalHoldStore {
  readonly tenant: string;
  readonly #collection: Collection<LegalHoldDocument>;

  constructor(client: MongoClient, tenant: string) {
    this.tenant = tenant;
    this.#collection = client
      .db(mongoDatabaseName(tenant))
      .collection<LegalHoldDocument>(LEGAL_HOLDS_COLLECTION);
  }

  async place(input: {
    scope: LegalHoldScope;
    reason: string;
    setBy: string;
    now?: Date;
  }): Promise<LegalHold> {
    const doc: LegalHoldDocument = {
      _id: randomUUID(),
      scope: input.scope,
      reason: input.reason,
      setBy: input.setBy,
      setAt: (input.now ?? new Date()).toISOString(),
    };
    await this.#collection.insertOne(doc);
    return toHold(doc);
  }

  /** Lifts an active hold; returns undefined when there is no such active hold. */
  async lift(
    id: string,
    input: { liftedBy: string; reason: string; now?: Date },
  ): Promise<LegalHold | undefined> {
    const updated = await this.#collection.findOneAndUpdate(
      { _id: id, liftedAt: { $exists: false } },
      {
        $set: {
          liftedAt: (input.now ?? new Date()).toISOString(),
          liftedBy: input.liftedBy,
          liftReason: input.reason,
        },
      },
      { returnDocument: 'after' },
    );
    return updated ? toHold(updated) : undefined;
  }

  async get(id: string): Promise<LegalHold | undefined> {
    const doc = await this.#collection.findOne({ _id: id });
    return doc ? toHold(doc) : undefined;
  }

  async list(options: { includeLifted?: boolean } = {}): Promise<LegalHold[]> {
    const filter = options.includeLifted ? {} : { liftedAt: { $exists: false } };
    const docs = await this.#collection.find(filter).sort({ setAt: 1 }).limit(10_000).toArray();
    return docs.map(toHold);
  }

  /** A snapshot of the active holds; deletion paths take one per batch so a new hold applies at once. */
  async active(): Promise<HoldSet> {
    return new HoldSet(await this.list());
  }
}

function toHold(doc: LegalHoldDocument): LegalHold {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}
