/**
 * A write-ahead journal for the gateway's audit records, so a record is on disk before the client
 * is told its request was done: a crash (even SIGKILL) loses no record of an acknowledged request.
 *
 * The AuditRecorder (packages/compliance-client) delivers in the background and spills to its own
 * file only when its memory is full or at an orderly stop; what it holds in memory dies with the
 * process. So the gateway also appends each record here and waits for the write (fsync'd) before
 * the answer leaves. Appends made while a write is in progress are written together by the next
 * one (group commit): under load, one fsync covers many requests.
 *
 * Files: `<dir>/segment-<time>-<n>.ndjson`. `rotate()` starts a new segment and returns the
 * closed ones; the caller deletes them (`discard`) once the recorder has delivered everything
 * recorded before the rotation. At start, `open()` returns the records of the segments a previous
 * process left: they are recorded again (same ids: the compliance service appends each id once).
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalEntry {
  tenant: string;
  record: Record<string, unknown> & { id: string };
}

const SEGMENT = /^segment-\d+-\d+\.ndjson$/;

export class AuditJournal {
  readonly dir: string;
  #active: { path: string; handle: FileHandle } | undefined;
  #closed: string[] = [];
  #queue: { line: string; done: () => void; failed: (error: unknown) => void }[] = [];
  #writing: Promise<void> | undefined;
  #sequence = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens a fresh segment; returns the entries earlier processes left (their segments stay closed). */
  async open(): Promise<JournalEntry[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const leftover = (await readdir(this.dir)).filter((name) => SEGMENT.test(name)).sort();
    const entries: JournalEntry[] = [];
    for (const name of leftover) {
      const text = await readFile(join(this.dir, name), 'utf8');
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          entries.push(JSON.parse(line) as JournalEntry);
        } catch {
          // A torn last line: its request was never acknowledged (the write had not finished).
        }
      }
      this.#closed.push(join(this.dir, name));
    }
    await this.#startSegment();
    return entries;
  }

  /** Resolves once the entry is on disk. */
  append(entry: JournalEntry): Promise<void> {
    return new Promise((done, failed) => {
      this.#queue.push({ line: `${JSON.stringify(entry)}\n`, done, failed });
      if (!this.#writing) this.#writing = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        try {
          const active = this.#active;
          if (!active) throw new Error('the audit journal is not open');
          await active.handle.appendFile(batch.map((b) => b.line).join(''));
          await active.handle.datasync();
          for (const item of batch) item.done();
        } catch (error) {
          for (const item of batch) item.failed(error);
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** Starts a new segment; returns every closed segment not yet discarded. */
  async rotate(): Promise<string[]> {
    await this.#writing;
    const previous = this.#active;
    await this.#startSegment();
    if (previous) {
      await previous.handle.close();
      this.#closed.push(previous.path);
    }
    return [...this.#closed];
  }

  /** Deletes segments whose records were delivered. */
  async discard(paths: string[]): Promise<void> {
    for (const path of paths) await rm(path, { force: true });
    const gone = new Set(paths);
    this.#closed = this.#closed.filter((path) => !gone.has(path));
  }

  async close(): Promise<void> {
    await this.#writing;
    await this.#active?.handle.close();
    if (this.#active) this.#closed.push(this.#active.path);
    this.#active = undefined;
  }

  async #startSegment(): Promise<void> {
    this.#sequence += 1;
    const path = join(this.dir, `segment-${Date.now()}-${String(this.#sequence).padStart(6, '0')}.ndjson`);
    this.#active = { path, handle: await open(path, 'a', 0o600) };
  }
}
