/**
 * A usage counter per tenant key version. With random 96-bit nonces, NIST SP 800-38D §8.3 caps a
 * key at 2^32 encryptions; the default ceiling (2^30) forces a rotation long before that.
 * Counting every use in Mongo would add a write per call, so each process reserves blocks of uses
 * (one inserted usage record per block: inserts are what the unique index arbitrates, where a
 * concurrent `$inc` may lose updates on FerretDB) and spends them locally. A block lost in a crash
 * only makes the count conservative.
 */
import { LRUCache } from 'lru-cache';

export interface UsageMeterOptions {
  ceiling: number;
  blockSize: number;
}

export const DEFAULT_USAGE_CEILING = 2 ** 30;
export const DEFAULT_USAGE_BLOCK = 16_384;

export class UsageMeter {
  readonly ceiling: number;
  readonly blockSize: number;
  // Bounded: a key per person means many keys used once. Forgetting a slot only costs a new
  // reservation (a conservative count), never an undercount.
  /** Uses this process may still spend, per `<keyId>#<version>`. */
  private readonly remaining = new LRUCache<string, number>({ max: 10_000 });
  /** The block index to try next, per `<keyId>#<version>` (saves a count per reservation). */
  private readonly nextBlocks = new LRUCache<string, number>({ max: 10_000 });

  constructor(options: UsageMeterOptions) {
    if (options.blockSize < 1 || options.ceiling < options.blockSize) {
      throw new Error('usage ceiling must be at least one block');
    }
    this.ceiling = options.ceiling;
    this.blockSize = options.blockSize;
  }

  /** Spends one local use; false when a new block must be reserved first. */
  trySpend(keyId: string, version: number): boolean {
    const slot = `${keyId}#${version}`;
    const left = this.remaining.get(slot) ?? 0;
    if (left <= 0) return false;
    this.remaining.set(slot, left - 1);
    return true;
  }

  /** Whether reserving block `block` (0-based) would take the version past its ceiling. */
  exceedsCeiling(block: number): boolean {
    return (block + 1) * this.blockSize > this.ceiling;
  }

  nextBlockHint(keyId: string, version: number): number | undefined {
    return this.nextBlocks.get(`${keyId}#${version}`);
  }

  /** Records a reserved block and spends one use of it. */
  granted(keyId: string, version: number, block: number): void {
    this.remaining.set(`${keyId}#${version}`, this.blockSize - 1);
    this.nextBlocks.set(`${keyId}#${version}`, block + 1);
  }
}
