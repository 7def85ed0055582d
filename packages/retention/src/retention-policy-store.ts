/**
 * Where the operator's RetentionPolicy reconciler stores a tenant's policies and where purges read
 * them: the tenant's database, collection `retention_policies`, one document per policy name.
 */
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import { parseRetentionPolicy, type RetentionPolicy } from './policy.ts';

interface RetentionPolicyDocument extends Omit<RetentionPolicy, 'name'> {
  _id: string;
  updatedAt: Date;
}

export const RETENTION_POLICIES_COLLECTION = 'retention_policies';

export class RetentionPolicyStore {
  readonly #collection: Collection<RetentionPolicyDocument>;

  constructor(client: MongoClient, tenant: string) {
    this.#collection = client
      .db(mongoDatabaseName(tenant))
      .collection<RetentionPolicyDocument>(RETENTION_POLICIES_COLLECTION);
  }

  /** Validates and stores (idempotent: the same policy twice is one document). */
  async put(policy: RetentionPolicy): Promise<RetentionPolicy> {
    const valid = parseRetentionPolicy(policy);
    const { name, ...rest } = valid;
    await this.#collection.replaceOne({ _id: name }, { ...rest, updatedAt: new Date() }, { upsert: true });
    return valid;
  }

  async get(name: string): Promise<RetentionPolicy | undefined> {
    const doc = await this.#collection.findOne({ _id: name });
    return doc ? toPolicy(doc) : undefined;
  }

  async list(): Promise<RetentionPolicy[]> {
    return (await this.#collection.find({}).sort({ _id: 1 }).limit(1000).toArray()).map(toPolicy);
  }

  async remove(name: string): Promise<boolean> {
    return (await this.#collection.deleteOne({ _id: name })).deletedCount === 1;
  }
}

function toPolicy(doc: RetentionPolicyDocument): RetentionPolicy {
  return { name: doc._id, rules: doc.rules, dryRun: doc.dryRun };
}
