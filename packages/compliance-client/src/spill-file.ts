/**
 * Where audit records go when they cannot be held in memory: an append-only NDJSON file. Records
 * are written when the in-memory buffer is full and on shutdown with the service unreachable,
 * and read back (then removed) once the service answers again, so a long outage or a restart
 * loses nothing. Writes are serialised through one promise chain; callers never wait on them.
 */
import { appendFile, readFile, rename, rm } from 'node:fs/promises';

export interface SpilledRecord {
  tenant: string;
  record: unknown;
}

export class SpillFile {
  readonly path: string;
  #chain: Promise<void> = Promise.resolve();
  #count = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Records written and not yet taken back (as far as this process knows). */
  get count(): number {
    return this.#count;
  }

  write(entries: SpilledRecord[]): Promise<void> {
    if (entries.length === 0) return this.#chain;
    this.#count += entries.length;
    const lines = `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
    this.#chain = this.#chain.then(() => appendFile(this.path, lines, { mode: 0o600 }));
    return this.#chain;
  }

  /** Takes every spilled record (from this and earlier processes) out of the file. */
  take(): Promise<SpilledRecord[]> {
    const taken = this.#chain.then(async () => {
      const draining = `${this.path}.draining`;
      try {
        await rename(this.path, draining);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const text = await readFile(draining, 'utf8');
      await rm(draining, { force: true });
      this.#count = 0;
      return text
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line) as SpilledRecord);
    });
    this.#chain = taken.then(
      () => undefined,
      () => undefined,
    );
    return taken;
  }
}
