/**
 * Every run, dry or not, is kept in the tenant's database (collection `retention_runs`): the
 * operator reports the latest in RetentionPolicy status and the compliance service lists them.
 */
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import type { RetentionRun } from './retention-run.ts';

interface RetentionRunDocument extends Omit<RetentionRun, 'id'> {
  _id: string;
}

export const RETENTION_RUNS_COLLECTION = 'retention_runs';

export class RetentionRunStore {
  readonly #collection: Collection<RetentionRunDocument>;

  constructor(client: MongoClient, tenant: string) {
    this.#collection = client
      .db(mongoDatabaseName(tenant))
      .collection<RetentionRunDocument>(RETENTION_RUNS_COLLECTION);
  }

  async record(run: RetentionRun): Promise<void> {
    const { id, ...rest } = run;
    await this.#collection.replaceOne({ _id: id }, rest, { upsert: true });
  }

  async list(options: { policy?: string; limit?: number } = {}): Promise<RetentionRun[]> {
    const docs = await this.#collection
      .find(options.policy ? { policy: options.policy } : {})
      .sort({ startedAt: -1 })
      .limit(Math.min(options.limit ?? 50, 500))
      .toArray();
    return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }

  async latest(policy?: string): Promise<RetentionRun | undefined> {
    return (await this.list({ ...(policy ? { policy } : {}), limit: 1 }))[0];
  }
}
