/**
 * A usage counter per tenant key version. With random 96-bit nonces, NIST SP 800-38D §8.3 caps a
 * key at 2^32 encryptions; the default ceiling (2^30) forces a rotation long before that. Counting
 * every use in Mongo would add a write per call, so each process reserves blocks of uses with one
 * atomic $inc and spends them locally; a block lost in a crash only makes the count conservative.
 */
export interface UsageMeterOptions {
  ceiling: number;
  blockSize: number;
}

export const DEFAULT_USAGE_CEILING = 2 ** 30;
export const DEFAULT_USAGE_BLOCK = 4096;

/** Uses this process may still spend, per `<docId>#<version>`. */
export class UsageMeter {
  readonly ceiling: number;
  readonly blockSize: number;
  private readonly remaining = new Map<string, number>();

  constructor(options: UsageMeterOptions) {
    if (options.blockSize < 1 || options.ceiling < options.blockSize) {
      throw new Error('usage ceiling must be at least one block');
    }
    this.ceiling = options.ceiling;
    this.blockSize = options.blockSize;
  }

  /** Spends one local use; false when a new block must be reserved first. */
  trySpend(docId: string, version: number): boolean {
    const slot = `${docId}#${version}`;
    const left = this.remaining.get(slot) ?? 0;
    if (left <= 0) return false;
    this.remaining.set(slot, left - 1);
    return true;
  }

  /**
   * Records a reserved block whose total (after the $inc) is `reservedTotal`; spends one use of
   * it. Returns false when the total crossed the ceiling: the version must rotate.
   */
  acceptBlock(docId: string, version: number, reservedTotal: number): boolean {
    if (reservedTotal > this.ceiling) return false;
    this.remaining.set(`${docId}#${version}`, this.blockSize - 1);
    return true;
  }
}
