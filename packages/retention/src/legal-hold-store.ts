/**
 * Legal holds in the tenant's own database (collection `legal_holds`), where every service and the
 * operator can read them, and a copy of each in the platform database (`parley_platform.legal_holds`,
 * `_id` `<tenant>/<holdId>`), which deleting a tenant never removes: dropping `parley_<tenant>`
 * (a Tenant deleted with Delete or CryptoShred) must not also drop the holds that forbid it, or the
 * crypto service's sweep would find none and destroy the keys.
 *
 * Reads are the union of both copies: a hold active in either is active. So a crash between the
 * two writes errs on the side of preservation (a hold written to one copy only still holds, is
 * listed, and can be lifted), and holds placed before the platform copy existed still count.
 * Holds are never deleted: lifting stamps liftedAt/liftedBy, so the record of what was preserved
 * and why outlives the hold.
 */
import { randomUUID } from 'node:crypto';
import { mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import { HoldSet, type LegalHold, type LegalHoldScope } from './legal-hold.ts';

interface LegalHoldDocument extends Omit<LegalHold, 'id'> {
  _id: string;
}

/** The platform copy: the tenant is part of the key, so two tenants' holds never collide. */
interface PlatformLegalHoldDocument extends Omit<LegalHold, 'id'> {
  _id: string;
  tenant: string;
  holdId: string;
}

export const LEGAL_HOLDS_COLLECTION = 'legal_holds';
/** In PLATFORM_DATABASE: the copy of every tenant's holds that outlives the tenant's database. */
export const PLATFORM_LEGAL_HOLDS_COLLECTION = 'legal_holds';

export class LegalHoldStore {
  readonly tenant: string;
  readonly #collection: Collection<LegalHoldDocument>;
  readonly #platform: Collection<PlatformLegalHoldDocument>;

  constructor(client: MongoClient, tenant: string) {
    this.tenant = tenant;
    this.#collection = client
      .db(mongoDatabaseName(tenant))
      .collection<LegalHoldDocument>(LEGAL_HOLDS_COLLECTION);
    this.#platform = client
      .db(PLATFORM_DATABASE)
      .collection<PlatformLegalHoldDocument>(PLATFORM_LEGAL_HOLDS_COLLECTION);
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
    // The copy that survives the tenant's database first: the hold exists there before anyone
    // is told it was placed.
    await this.#platform.insertOne(this.#platformCopy(doc));
    await this.#collection.insertOne(doc);
    return toHold(doc);
  }

  /** Lifts an active hold (both copies); returns undefined when there is no such active hold. */
  async lift(
    id: string,
    input: { liftedBy: string; reason: string; now?: Date },
  ): Promise<LegalHold | undefined> {
    const lifted = {
      liftedAt: (input.now ?? new Date()).toISOString(),
      liftedBy: input.liftedBy,
      liftReason: input.reason,
    };
    const inTenant = await this.#collection.findOneAndUpdate(
      { _id: id, liftedAt: { $exists: false } },
      { $set: lifted },
      { returnDocument: 'after' },
    );
    const inPlatform = await this.#platform.findOneAndUpdate(
      { _id: this.#platformId(id), liftedAt: { $exists: false } },
      { $set: lifted },
      { returnDocument: 'after' },
    );
    if (inTenant) return toHold(inTenant);
    return inPlatform ? fromPlatform(inPlatform) : undefined;
  }

  async get(id: string): Promise<LegalHold | undefined> {
    const [inTenant, inPlatform] = await Promise.all([
      this.#collection.findOne({ _id: id }),
      this.#platform.findOne({ _id: this.#platformId(id) }),
    ]);
    return merge(inTenant ? [toHold(inTenant)] : [], inPlatform ? [fromPlatform(inPlatform)] : [])[0];
  }

  async list(options: { includeLifted?: boolean } = {}): Promise<LegalHold[]> {
    const active = options.includeLifted ? {} : { liftedAt: { $exists: false } };
    const [inTenant, inPlatform] = await Promise.all([
      this.#collection.find(active).sort({ setAt: 1 }).limit(10_000).toArray(),
      this.#platform
        .find({ tenant: this.tenant, ...active })
        .sort({ setAt: 1 })
        .limit(10_000)
        .toArray(),
    ]);
    return merge(inTenant.map(toHold), inPlatform.map(fromPlatform));
  }

  /** A snapshot of the active holds; deletion paths take one per batch so a new hold applies at once. */
  async active(): Promise<HoldSet> {
    return new HoldSet(await this.list());
  }

  #platformId(id: string): string {
    return `${this.tenant}/${id}`;
  }

  #platformCopy(doc: LegalHoldDocument): PlatformLegalHoldDocument {
    const { _id, ...rest } = doc;
    return { _id: this.#platformId(_id), tenant: this.tenant, holdId: _id, ...rest };
  }
}

/** One hold per id; where the copies disagree the active one wins (preservation first). */
function merge(inTenant: LegalHold[], inPlatform: LegalHold[]): LegalHold[] {
  const byId = new Map<string, LegalHold>();
  for (const hold of [...inTenant, ...inPlatform]) {
    const seen = byId.get(hold.id);
    if (!seen || (seen.liftedAt && !hold.liftedAt)) byId.set(hold.id, hold);
  }
  return [...byId.values()].sort((a, b) => a.setAt.localeCompare(b.setAt));
}

function toHold(doc: LegalHoldDocument): LegalHold {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

function fromPlatform(doc: PlatformLegalHoldDocument): LegalHold {
  const { _id, tenant: _tenant, holdId, ...rest } = doc;
  return { id: holdId, ...rest };
}
