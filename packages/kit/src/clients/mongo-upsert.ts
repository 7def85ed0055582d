/**
 * Upserts that meet each other. Two upserts of a document that does not exist yet both find
 * nothing and both insert; the unique _id lets one through and fails the other with E11000.
 * MongoDB retries some of these itself; FerretDB (the local stack's server) never does, and the
 * loser surfaced as a 500 (media's usage counter when two first uploads of a tenant finished
 * together). Run again, the loser finds the document and updates it, which is what it meant.
 */

/** A unique-index collision (E11000), on a single write or within an insertMany's write errors. */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; writeErrors?: { code?: unknown }[] };
  if (e.code === 11000) return true;
  return Array.isArray(e.writeErrors) && e.writeErrors.some((w) => w?.code === 11000);
}

/** Runs `upsert`; if it lost the race to create its document, runs it once more (now an update). */
export async function upsertRetryingLostRace<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return await upsert();
  }
}
