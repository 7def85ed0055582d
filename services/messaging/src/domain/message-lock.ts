/**
 * One writer at a time per message document, arbitrated by a unique-key insert.
 *
 * Why: FerretDB (the local Mongo-wire server, over PostgreSQL) applies an update by reading the
 * document, changing it in memory and writing the whole document back, without isolation. Two
 * concurrent field-level `$set`s on different fields of one message lose one of them (an edit and
 * a reaction at the same instant: the edit vanished), and a conditional update on a version field
 * does not help: both writers match the old version and both "succeed" (measured against the
 * stack: 183 of 200 pairs of concurrent `$set`s lost one; 104 of 200 pairs of conditional updates
 * on `rev` both succeeded). What FerretDB does arbitrate is a unique key, as the seq ledger
 * already relies on: so each read-modify-write of a message runs while its writer holds the
 * `message_locks` document `_id: <messageId>`. On MongoDB the field-level updates were already
 * safe; the lock costs two small round trips per edit, delete, reaction or reply (not per send).
 *
 * A holder that crashed leaves its lock behind: after LOCK_STALE_MS a waiter removes it (only
 * that holder's document, by its token) and competes again. A holder is never that slow: it makes
 * two or three writes.
 */
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKey } from './ids.ts';

export interface MessageLockDocument {
  /** The message's id: the unique key is the lock. */
  _id: string;
  holder: string;
  at: Date;
}

export interface MessageLockOptions {
  /** A lock older than this is taken to be a crashed holder's. */
  staleMs?: number;
  /** How long a writer waits for a lock before giving up (longer than staleMs, so it outlasts a crash). */
  waitMs?: number;
}

export class MessageLockTimeout extends Error {
  constructor(messageId: string) {
    super(`message ${messageId} stayed locked`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withMessageLock<T>(
  locks: Collection<MessageLockDocument>,
  messageId: string,
  fn: () => Promise<T>,
  options: MessageLockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? staleMs + 5_000);
  const holder = randomUUID();
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      await locks.insertOne({ _id: messageId, holder, at: new Date() });
      break;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const current = await locks.findOne({ _id: messageId });
    if (current && Date.now() - current.at.getTime() >= staleMs) {
      await locks.deleteOne({ _id: messageId, holder: current.holder });
      continue;
    }
    if (Date.now() >= deadline) throw new MessageLockTimeout(messageId);
    // Jittered, growing: holders finish in a few round trips, and waiters should not queue in step.
    await sleep(wait / 2 + Math.random() * wait);
  }
  try {
    return await fn();
  } finally {
    await locks.deleteOne({ _id: messageId, holder });
  }
}
