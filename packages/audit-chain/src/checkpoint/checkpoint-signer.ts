/**
 * Signed checkpoints of one tenant's log: stored in the tenant's database, published outside it
 * first (so deleting the tail and its checkpoints from the database does not erase the evidence),
 * and never signed over a log that no longer extends the last one signed or published.
 */
import type { KeyObject } from 'node:crypto';
import { AuditIntegrityError, AuditNotFoundError, isDuplicateKey } from '../audit-errors.ts';
import { toHex } from '../merkle/hashing.ts';
import type { LogTree } from '../merkle/log-tree.ts';
import { type AuditCollections, checkpointFromDocument } from '../store/audit-collections.ts';
import { type SignedCheckpoint, signCheckpoint } from './checkpoint.ts';
import { type CheckpointPublisher, publishedCheckpointFault } from './checkpoint-publisher.ts';
import type { SigningKey } from './signing-key.ts';

export interface CheckpointPolicy {
  everyRecords: number;
  everyMs: number;
}

export interface CheckpointSignerDeps {
  tenant: string;
  /** The log's name in its checkpoints (logName(tenant)). */
  log: string;
  collections: AuditCollections;
  tree: LogTree;
  clock: () => Date;
  signingKey?: SigningKey;
  publisher?: CheckpointPublisher;
  trustedKeys?: ReadonlyMap<string, KeyObject>;
  /** Forced checkpoints are signed at most once per this interval by this instance. */
  forcedCheckpointIntervalMs: number;
}

export class CheckpointSigner {
  readonly #d: CheckpointSignerDeps;
  /** The tree size whose root we checked against the latest signed checkpoint (before signing anew). */
  #checkedAgainst = 0;
  /** The newest checkpoint this instance has seen or signed (policy checks need no query). */
  #latest: SignedCheckpoint | undefined;
  /** When this instance last signed a forced checkpoint (rate limit). */
  #lastForcedAt = Number.NEGATIVE_INFINITY;

  constructor(deps: CheckpointSignerDeps) {
    this.#d = deps;
  }

  async latest(): Promise<SignedCheckpoint | undefined> {
    const doc = await this.#d.collections.checkpoints.find().sort({ _id: -1 }).limit(1).next();
    const latest = doc ? checkpointFromDocument(doc) : undefined;
    if (latest && (!this.#latest || latest.treeSize > this.#latest.treeSize)) this.#latest = latest;
    return latest;
  }

  async get(treeSize: number): Promise<SignedCheckpoint | undefined> {
    const doc = await this.#d.collections.checkpoints.findOne({ _id: treeSize });
    return doc ? checkpointFromDocument(doc) : undefined;
  }

  async list(options: { beforeSize?: number; limit?: number } = {}): Promise<SignedCheckpoint[]> {
    const filter = options.beforeSize !== undefined ? { _id: { $lt: options.beforeSize } } : {};
    const docs = await this.#d.collections.checkpoints
      .find(filter)
      .sort({ _id: -1 })
      .limit(Math.min(options.limit ?? 100, 10_000))
      .toArray();
    return docs.map(checkpointFromDocument);
  }

  /**
   * Signs a checkpoint of the current tree when the policy says it is due (or `force`). Before
   * signing it checks that today's tree extends the last signed one: a log tampered with since
   * then is refused a signature rather than laundered by one.
   */
  async checkpoint(
    options: { policy?: CheckpointPolicy; force?: boolean } = {},
  ): Promise<SignedCheckpoint | undefined> {
    const { tree, clock } = this.#d;
    const key = this.#d.signingKey;
    if (!key) return undefined;
    // By policy, sign what this writer's tree holds (its own appends keep it current); only a
    // forced checkpoint first reads what other writers appended.
    if (options.force || tree.size === 0) await tree.sync();
    const size = tree.size;
    if (size === 0) return undefined;
    const latest = this.#latest ?? (await this.latest());
    if (latest && latest.treeSize >= size) return latest;
    const now = clock().getTime();
    if (latest && options.force && now - this.#lastForcedAt < this.#d.forcedCheckpointIntervalMs)
      return latest;
    if (latest && !options.force && options.policy) {
      const age = now - Date.parse(latest.issuedAt);
      if (size - latest.treeSize < options.policy.everyRecords && age < options.policy.everyMs)
        return undefined;
    }
    if (latest && this.#checkedAgainst !== latest.treeSize) {
      tree.assertExtends(latest, size, 'its checkpoint');
      this.#checkedAgainst = latest.treeSize;
    }
    const published = await this.#latestPublished();
    if (published) {
      if (published.treeSize > size) {
        // Another replica may have appended and signed past this writer's view: catch up first,
        // so only a log that is really shorter is refused.
        await tree.sync();
        if (tree.size >= published.treeSize) {
          tree.assertExtends(published, tree.size, 'its published checkpoint');
          return published;
        }
      }
      tree.assertExtends(published, size, 'its published checkpoint');
      if (published.treeSize === size) return published;
    }
    const signed = signCheckpoint(
      {
        log: this.#d.log,
        treeSize: size,
        rootHash: toHex(tree.tree.root(size)),
        issuedAt: clock().toISOString(),
        keyId: key.keyId,
      },
      key.privateKey,
    );
    if (options.force) this.#lastForcedAt = now;
    // Published first: a checkpoint the tenant cannot see would not bind the log.
    await this.#d.publisher?.publish(this.#d.tenant, signed);
    try {
      await this.#d.collections.checkpoints.insertOne({ _id: size, ...signed });
      this.#checkedAgainst = size;
      this.#latest = signed;
      return signed;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return (await this.get(size)) ?? signed; // another replica signed this size first
    }
  }

  /**
   * A signed checkpoint covering `minSize` records: the given size, else the latest (signing
   * one now if none covers them yet).
   */
  async covering(minSize: number, treeSize?: number): Promise<SignedCheckpoint> {
    if (treeSize !== undefined) {
      const checkpoint = await this.get(treeSize);
      if (!checkpoint) throw new AuditNotFoundError(`no checkpoint of size ${treeSize}`);
      if (checkpoint.treeSize < minSize)
        throw new AuditNotFoundError(`checkpoint ${treeSize} does not cover the record`);
      return checkpoint;
    }
    const latest = await this.latest();
    if (latest && latest.treeSize >= minSize) return latest;
    const fresh = await this.checkpoint({ force: true });
    if (!fresh || fresh.treeSize < minSize)
      throw new AuditNotFoundError('no signed checkpoint covers the record yet');
    return fresh;
  }

  /** The latest published checkpoint, refused (AuditIntegrityError) when it is not genuine. */
  async #latestPublished(): Promise<SignedCheckpoint | undefined> {
    const publisher = this.#d.publisher;
    if (!publisher) return undefined;
    const published = await publisher.latest(this.#d.tenant);
    if (!published) return undefined;
    const key = this.#d.signingKey;
    const trusted = this.#d.trustedKeys ?? new Map(key ? [[key.keyId, key.publicKey] as const] : []);
    const fault = publishedCheckpointFault(published, this.#d.log, trusted);
    if (fault) {
      throw new AuditIntegrityError(
        `the published checkpoint of ${this.#d.tenant} at size ${published.treeSize} is not evidence (${fault}): refusing to sign`,
      );
    }
    return published;
  }
}
