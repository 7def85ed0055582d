/** What the audit log refuses, and why: one class per kind of refusal a caller acts on. */

/** The stored log no longer matches what was signed: refuse to sign or prove, loudly. */
export class AuditIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditIntegrityError';
  }
}

/** A record that can never be appended as given (e.g. personal fields that do not open). */
export class AuditRecordRejectedError extends Error {
  readonly recordId: string;
  constructor(recordId: string, reason: string) {
    super(`audit record ${recordId} refused: ${reason}`);
    this.name = 'AuditRecordRejectedError';
    this.recordId = recordId;
  }
}

export class AuditNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditNotFoundError';
  }
}

/** A unique-index collision (Mongo's E11000), on a single insert or within an insertMany. */
export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: { code?: number }[] };
  if (e?.code === 11000) return true;
  return Array.isArray(e?.writeErrors) && e.writeErrors.some((w) => w.code === 11000);
}
