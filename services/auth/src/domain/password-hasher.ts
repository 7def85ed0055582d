/**
 * Password hashing with argon2id through Node 24's own `crypto.argon2`, which runs on libuv's
 * thread pool, so a hash (~95 ms at the default parameters) never blocks the event loop. Hashes
 * are stored as PHC strings
 * (`$argon2id$v=19$m=47104,t=2,p=1$<salt>$<hash>`, unpadded base64) so any argon2 implementation
 * can verify them and the parameters travel with each hash: raising the parameters later only
 * makes `needsRehash` true for older hashes, which login then upgrades.
 *
 * At most `concurrency` derivations are handed to the pool at once (libuv's pool size, 4 unless
 * UV_THREADPOOL_SIZE says otherwise); the rest wait in order here. The pool is shared with
 * everything else Node runs there (file system, DNS lookups, WebCrypto, zlib): during a burst of
 * logins a longer queue of hashes inside libuv would hold each of those behind every hash already
 * queued, while one capped at the pool's size keeps every thread hashing and lets other work in as
 * soon as one hash ends.
 */
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const argon2Async = promisify(argon2);

export interface Argon2Parameters {
  /** Memory in KiB. */
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

/** libuv's thread pool size when UV_THREADPOOL_SIZE is not set. */
export const LIBUV_DEFAULT_POOL_SIZE = 4;

/** OWASP's minimum for argon2id (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. The floor. */
export const OWASP_MINIMUM: Argon2Parameters = { memoryKiB: 19_456, passes: 2, parallelism: 1 };

/**
 * The default: 46 MiB, 2 passes, 1 lane. OWASP lists five argon2id configurations it rates as
 * equally strong, from 7 MiB × 5 passes to 46 MiB × 1 pass; this service requires at least 19 MiB
 * and 2 passes. Memory is what makes argon2id costly to attack on GPUs and ASICs (RFC 9106 §4
 * recommends 64 MiB to 2 GiB), so the default takes OWASP's largest memory at the two passes
 * required: ~95 ms of one core per hash on the development machines (~30 ms at the floor), and
 * 46 MiB per hash in flight, at most UV_THREADPOOL_SIZE (4) of them at once. One lane: Node
 * computes further lanes on further threads, which would take threads from concurrent logins.
 * Where logins per core matter more, ARGON2_MEMORY_KIB=19456 sets the floor; existing hashes are
 * upgraded at each user's next login either way (needsRehash).
 */
export const DEFAULT_ARGON2: Argon2Parameters = { memoryKiB: 47_104, passes: 2, parallelism: 1 };

const SALT_BYTES = 16;
const TAG_BYTES = 32;
const PHC_PATTERN = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export interface ParsedHash {
  parameters: Argon2Parameters;
  salt: Buffer;
  hash: Buffer;
}

export function parsePhc(phc: string): ParsedHash | undefined {
  const match = PHC_PATTERN.exec(phc);
  if (!match) return undefined;
  const [, m, t, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  return {
    parameters: { memoryKiB: Number(m), passes: Number(t), parallelism: Number(p) },
    salt: Buffer.from(salt, 'base64'),
    hash: Buffer.from(hash, 'base64'),
  };
}

/** What every PHC string made with `parameters` starts with: `$argon2id$v=19$m=…,t=…,p=…$`. */
export function phcHeader({ memoryKiB, passes, parallelism }: Argon2Parameters): string {
  return `$argon2id$v=19$m=${memoryKiB},t=${passes},p=${parallelism}$`;
}

export function formatPhc({ parameters, salt, hash }: ParsedHash): string {
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  return `${phcHeader(parameters)}${b64(salt)}$${b64(hash)}`;
}

export function deriveArgon2id(
  password: string | Buffer,
  salt: Buffer,
  parameters: Argon2Parameters,
  tagLength = TAG_BYTES,
  extra: { secret?: Buffer; associatedData?: Buffer } = {},
): Promise<Buffer> {
  return argon2Async('argon2id', {
    message: password,
    nonce: salt,
    memory: parameters.memoryKiB,
    passes: parameters.passes,
    parallelism: parameters.parallelism,
    tagLength,
    ...extra,
  });
}

export class PasswordHasher {
  readonly parameters: Argon2Parameters;
  /** A hash of a random password with the current parameters: what login verifies against for an unknown user. */
  #decoy: Promise<string> | undefined;
  readonly #concurrency: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    parameters: Argon2Parameters = DEFAULT_ARGON2,
    { concurrency = LIBUV_DEFAULT_POOL_SIZE }: { concurrency?: number } = {},
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('hashing concurrency must be >= 1');
    this.#concurrency = concurrency;
    if (
      parameters.memoryKiB < OWASP_MINIMUM.memoryKiB ||
      parameters.passes < OWASP_MINIMUM.passes ||
      parameters.parallelism < OWASP_MINIMUM.parallelism
    ) {
      throw new Error('argon2id parameters below the OWASP minimum (m=19456 KiB, t=2, p=1)');
    }
    this.parameters = parameters;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const hash = await this.#derive(password, salt, this.parameters, TAG_BYTES);
    return formatPhc({ parameters: this.parameters, salt, hash });
  }

  /** False for a wrong password and for a malformed stored hash alike. */
  async verify(phc: string, password: string): Promise<boolean> {
    const parsed = parsePhc(phc);
    if (!parsed || parsed.hash.length < 16) return false;
    const candidate = await this.#derive(password, parsed.salt, parsed.parameters, parsed.hash.length);
    return timingSafeEqual(candidate, parsed.hash);
  }

  /**
   * Spends the same work as a real verification without a real hash, so an unknown account and
   * a wrong password cost the same time (no user enumeration by timing).
   */
  async verifyDecoy(password: string): Promise<false> {
    this.#decoy ??= this.hash(randomBytes(32).toString('base64'));
    await this.verify(await this.#decoy, password);
    return false;
  }

  /** Derivations on the pool now and waiting for a slot (for metrics and tests). */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** One derivation on the pool, once fewer than `concurrency` are running (first come, first served). */
  async #derive(
    password: string,
    salt: Buffer,
    parameters: Argon2Parameters,
    tagLength: number,
  ): Promise<Buffer> {
    if (this.#running >= this.#concurrency) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiting.push(resolve);
      await promise; // the slot is handed over by the derivation that ended
    } else {
      this.#running += 1;
    }
    try {
      return await deriveArgon2id(password, salt, parameters, tagLength);
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }

  /** True when a stored hash was made with weaker parameters than the current ones. */
  needsRehash(phc: string): boolean {
    const parsed = parsePhc(phc);
    if (!parsed) return true;
    const { memoryKiB, passes, parallelism } = parsed.parameters;
    return (
      memoryKiB < this.parameters.memoryKiB ||
      passes < this.parameters.passes ||
      parallelism < this.parameters.parallelism ||
      parsed.hash.length < TAG_BYTES
    );
  }
}
