/**
 * The keyring's records in `parley_platform.tenant_keys`: every change is an insert (a version,
 * a minimum, a lifecycle step, a usage block) arbitrated by unique slots, and a key's state is
 * the fold of its live records. Insert-only, because the local Mongo-wire server does not isolate
 * concurrent updates of one document (see ../README.md).
 */
import { isDuplicateKeyError } from '@parley/kit';
import type { Collection } from 'mongodb';
import { UnknownKeyError } from './errors.ts';
import { foldKeyRecords, type KeySnapshot } from './key-snapshot.ts';
import type { KeyRecord, UsageRecord } from './key-store.ts';

const LIVE_RECORDS = { $in: ['version', 'minimum', 'lifecycle'] };

export class KeyRecords {
  readonly collection: Collection<KeyRecord>;

  constructor(collection: Collection<KeyRecord>) {
    this.collection = collection;
  }

  /** Inserts a record; false when its slot or id was taken (another writer won). */
  async insert(record: KeyRecord): Promise<boolean> {
    try {
      await this.collection.insertOne(record);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async readSnapshot(tenant: string, keyName: string): Promise<KeySnapshot | undefined> {
    const records = await this.collection.find({ tenant, keyName, record: LIVE_RECORDS } as never).toArray();
    return foldKeyRecords(tenant, keyName, records);
  }

  async loadFresh(tenant: string, keyName: string): Promise<KeySnapshot> {
    const snapshot = await this.readSnapshot(tenant, keyName);
    if (!snapshot) throw new UnknownKeyError(tenant, keyName);
    return snapshot;
  }

  /** Uses reserved per version (the sum of the key's usage blocks). */
  async usageOf(tenant: string, keyName: string): Promise<Map<number, number>> {
    const blocks = (await this.collection
      .find({ tenant, keyName, record: 'usage' } as never, { projection: { version: 1, uses: 1 } })
      .toArray()) as UsageRecord[];
    const usage = new Map<number, number>();
    for (const block of blocks) usage.set(block.version, (usage.get(block.version) ?? 0) + (block.uses ?? 0));
    return usage;
  }

  /** Deletes a key's material (versions and usage blocks): what destruction means. */
  async deleteMaterial(tenant: string, keyName: string): Promise<void> {
    await this.collection.deleteMany({ tenant, keyName, record: { $in: ['version', 'usage'] } } as never);
  }
}
