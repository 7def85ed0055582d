/**
 * The Merkle tree of one tenant's log, in memory, kept in step with the stored records: this
 * writer's own appends extend it directly; records other writers appended are loaded on `sync`
 * (single flight). Checkpoints and proofs are computed from it, after checking it still matches
 * what was signed.
 */

import type { ChainHead } from '../append/chain-head.ts';
import { AuditIntegrityError } from '../audit-errors.ts';
import type { SignedCheckpoint } from '../checkpoint/checkpoint.ts';
import { type AuditRecord, recordLeafHash } from '../record/audit-record.ts';
import type { AuditCollections } from '../store/audit-collections.ts';
import { fromHex, toHex } from './hashing.ts';
import { MerkleTree } from './merkle-tree.ts';

export class LogTree {
  readonly tree = new MerkleTree();
  readonly #tenant: string;
  readonly #collections: AuditCollections;
  readonly #head: ChainHead;
  #syncing: Promise<void> | undefined;

  constructor(tenant: string, collections: AuditCollections, head: ChainHead) {
    this.#tenant = tenant;
    this.#collections = collections;
    this.#head = head;
  }

  get size(): number {
    return this.tree.size;
  }

  /** Brings the tree up to the stored log (records other writers appended). */
  async sync(): Promise<void> {
    this.#syncing ??= this.#loadLeaves().finally(() => {
      this.#syncing = undefined;
    });
    await this.#syncing;
  }

  /** Adds what this writer appended; syncs when other writers' records came in between. */
  async extend(appended: AuditRecord[]): Promise<void> {
    const sorted = [...appended].sort((a, b) => a.sequence - b.sequence);
    for (const record of sorted) {
      if (record.sequence !== this.tree.size) break;
      this.tree.append(recordLeafHash(record.hash));
    }
    const last = sorted[sorted.length - 1];
    if (last && this.tree.size <= last.sequence) await this.sync();
  }

  /** Throws unless the tree of `size` extends the checkpoint (same root at its size). */
  assertExtends(checkpoint: SignedCheckpoint, size: number, what: string): void {
    if (checkpoint.treeSize > size) {
      throw new AuditIntegrityError(
        `the log of ${this.#tenant} holds ${size} records, ${what} covers ${checkpoint.treeSize}: refusing to sign a shorter log`,
      );
    }
    if (toHex(this.tree.root(checkpoint.treeSize)) !== checkpoint.rootHash) {
      throw new AuditIntegrityError(
        `the log of ${this.#tenant} no longer matches ${what} at size ${checkpoint.treeSize}: refusing to sign`,
      );
    }
  }

  /** Throws unless the stored log (as loaded) has the checkpoint's root at its size. */
  assertMatches(checkpoint: SignedCheckpoint): void {
    if (
      checkpoint.treeSize > this.tree.size ||
      !this.tree.root(checkpoint.treeSize).equals(fromHex(checkpoint.rootHash))
    ) {
      throw new AuditIntegrityError(
        `the stored log does not match the signed checkpoint of size ${checkpoint.treeSize}`,
      );
    }
  }

  async #loadLeaves(): Promise<void> {
    const head = await this.#head.read();
    const target = head.sequence + 1;
    if (target <= this.tree.size) return;
    if (this.tree.size > 0 && target - this.tree.size <= 64) {
      // A few records other writers appended: equality look-ups, each answered from the index.
      while (this.tree.size < target) {
        const doc = await this.#collections.records.findOne(
          { tenant: this.#tenant, sequence: this.tree.size },
          { projection: { sequence: 1, hash: 1 } },
        );
        if (!doc) return; // a gap: a record is missing; verification will name it
        this.tree.append(recordLeafHash(doc.hash));
      }
      return;
    }
    const cursor = this.#collections.records
      .find(
        { tenant: this.#tenant, sequence: { $gte: this.tree.size } },
        { projection: { sequence: 1, hash: 1 } },
      )
      .sort({ sequence: 1 })
      .batchSize(5000);
    for await (const doc of cursor) {
      // A gap means a record is missing from the store: stop, verification will name it.
      if (doc.sequence !== this.tree.size) break;
      this.tree.append(recordLeafHash(doc.hash));
    }
  }
}
