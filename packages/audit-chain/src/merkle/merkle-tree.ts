/**
 * An append-only Merkle tree (RFC 9162 §2.1) that keeps every complete subtree's hash, so
 * appending is O(log n) amortised and roots, inclusion proofs and consistency proofs for any
 * earlier size are O(log n) reads. Hashes live in one growing Buffer per level (32 bytes a slot)
 * rather than a Buffer object per node: a million leaves cost about 64 MB, not hundreds.
 */
import { EMPTY_ROOT, HASH_SIZE, isPowerOfTwo, nodeHash, splitPoint } from './hashing.ts';

class HashLevel {
  #buffer = Buffer.alloc(HASH_SIZE * 64);
  length = 0;

  push(hash: Uint8Array): void {
    if ((this.length + 1) * HASH_SIZE > this.#buffer.length) {
      const grown = Buffer.alloc(this.#buffer.length * 2);
      this.#buffer.copy(grown);
      this.#buffer = grown;
    }
    this.#buffer.set(hash, this.length * HASH_SIZE);
    this.length += 1;
  }

  get(index: number): Buffer {
    if (index >= this.length) throw new RangeError(`no hash at ${index} (level holds ${this.length})`);
    return this.#buffer.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  truncate(length: number): void {
    this.length = Math.min(this.length, length);
  }
}

export class MerkleTree {
  /** levels[h][i]: the root of the complete subtree of 2^h leaves starting at leaf i·2^h. */
  readonly #levels: HashLevel[] = [new HashLevel()];

  get size(): number {
    return this.#level(0).length;
  }

  /** Appends a leaf hash (already 0x00-prefixed-hashed, see leafHash). */
  append(leaf: Uint8Array): void {
    if (leaf.length !== HASH_SIZE) throw new Error('a leaf hash is 32 bytes');
    this.#level(0).push(leaf);
    let index = this.size - 1;
    let height = 0;
    // Each time a right child completes a pair, the parent subtree is complete: store it.
    while (index % 2 === 1) {
      const level = this.#level(height);
      const parent = nodeHash(level.get(index - 1), level.get(index));
      height += 1;
      if (this.#levels.length <= height) this.#levels.push(new HashLevel());
      this.#level(height).push(parent);
      index = (index - 1) / 2;
    }
  }

  leaf(index: number): Buffer {
    return this.#level(0).get(index);
  }

  /** MTH(D[0:size]); the current root by default. */
  root(size: number = this.size): Buffer {
    this.#checkSize(size);
    if (size === 0) return Buffer.from(EMPTY_ROOT);
    return this.#rangeHash(0, size);
  }

  /** PATH(m, D[0:size]) of RFC 9162 §2.1.3.1. */
  inclusionProof(leafIndex: number, size: number = this.size): Buffer[] {
    this.#checkSize(size);
    if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= size) {
      throw new RangeError(`leaf ${leafIndex} is not in a tree of size ${size}`);
    }
    const path: Buffer[] = [];
    this.#path(leafIndex, 0, size, path);
    return path;
  }

  /** PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1. */
  consistencyProof(first: number, second: number = this.size): Buffer[] {
    this.#checkSize(second);
    if (!Number.isInteger(first) || first < 1 || first > second) {
      throw new RangeError(`no consistency proof from size ${first} to ${second}`);
    }
    const proof: Buffer[] = [];
    this.#subproof(first, 0, second, true, proof);
    return proof;
  }

  /** Forgets leaves past `size` (a writer that lost a race re-reads them from the store). */
  truncate(size: number): void {
    let count = size;
    for (const level of this.#levels) {
      level.truncate(count);
      count = Math.floor(count / 2);
    }
  }

  #path(m: number, start: number, end: number, out: Buffer[]): void {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.#path(m, start, start + k, out);
      out.push(this.#rangeHash(start + k, end));
    } else {
      this.#path(m - k, start + k, end, out);
      out.push(this.#rangeHash(start, start + k));
    }
  }

  #subproof(m: number, start: number, end: number, complete: boolean, out: Buffer[]): void {
    const n = end - start;
    if (m === n) {
      if (!complete) out.push(this.#rangeHash(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.#subproof(m, start, start + k, complete, out);
      out.push(this.#rangeHash(start + k, end));
    } else {
      this.#subproof(m - k, start + k, end, false, out);
      out.push(this.#rangeHash(start, start + k));
    }
  }

  /** MTH(D[start:end]) for a range the RFC's recursion produces (start aligned to its left part). */
  #rangeHash(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 1) return this.leaf(start);
    if (isPowerOfTwo(n) && start % n === 0) {
      const height = Math.log2(n);
      const level = this.#levels[height];
      if (level && start / n < level.length) return level.get(start / n);
    }
    const k = splitPoint(n);
    return nodeHash(this.#rangeHash(start, start + k), this.#rangeHash(start + k, end));
  }

  #level(height: number): HashLevel {
    const level = this.#levels[height];
    if (!level) throw new Error(`no level ${height}`);
    return level;
  }

  #checkSize(size: number): void {
    if (!Number.isInteger(size) || size < 0 || size > this.size) {
      throw new RangeError(`tree size ${size} is beyond the ${this.size} leaves held`);
    }
  }
}
