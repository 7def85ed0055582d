/**
 * One writer at a time per document, arbitrated by a unique-key insert (first written for
 * messaging's messages, whose edits and reactions met; now also what its conversation updates and
 * the keyring's background rewrap hold).
 *
 * Why: FerretDB (the local Mongo-wire server, over PostgreSQL) applies an update by reading the
 * document, changing it in memory and writing the whole document back, without isolation. Two
 * concurrent field-level `$set`s on different fields of one message lose one of them (an edit and
 * a reaction at the same instant: the edit vanished), and a conditional update on a version field
 * does not help: both writers match the old version and both "succeed" (measured against the
 * stack: 183 of 200 pairs of concurrent `$set`s lost one; 104 of 200 pairs of conditional updates
 * on `rev` both succeeded). What FerretDB does arbitrate is a unique key, as the seq ledger
 * already relies on: so each read-modify-write of a message runs while its writer holds the
 * lock document `_id: <messageId>` (messaging's `message_locks`). On MongoDB the field-level updates were already
 * safe; the lock costs two small round trips per edit, delete, reaction or reply (not per send).
 *
 * A holder that crashed leaves its lock behind: after LOCK_STALE_MS a waiter removes it (only
 * that holder's document, by its token) and competes again. A holder is never that slow: it makes
 * two or three writes.
 */
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from './mongo-upsert.ts';

export interface DocumentLockDocument {
  /** The locked document's id (or a name derived from it): the unique key is the lock. */
  _id: string;
  holder: string;
  at: Date;
}

export interface DocumentLockOptions {
  /** A lock older than this is taken to be a crashed holder's. */
  staleMs?: number;
  /** How long a writer waits for a lock before giving up (longer than staleMs, so it outlasts a crash). */
  waitMs?: number;
}

export class DocumentLockTimeout extends Error {
  constructor(id: string) {
    super(`${id} stayed locked`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` while holding the lock `id` in `locks` (waits for it; takes over a stale one). */
export async function withDocumentLock<T>(
  locks: Collection<DocumentLockDocument>,
  id: string,
  fn: () => Promise<T>,
  options: DocumentLockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? staleMs + 5_000);
  const holder = randomUUID();
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      await locks.insertOne({ _id: id, holder, at: new Date() });
      break;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const current = await locks.findOne({ _id: id });
    if (current && Date.now() - current.at.getTime() >= staleMs) {
      await locks.deleteOne({ _id: id, holder: current.holder });
      continue;
    }
    if (Date.now() >= deadline) throw new DocumentLockTimeout(id);
    // Jittered, growing: holders finish in a few round trips, and waiters should not queue in step.
    await sleep(wait / 2 + Math.random() * wait);
  }
  try {
    return await fn();
  } finally {
    await locks.deleteOne({ _id: id, holder });
  }
}
