/**
 * Legal holds over messages: a hold outranks the sender's wish to edit or delete, as it outranks
 * retention and erasure. A message is held when an active hold covers the tenant, its
 * conversation or its sender (the same keys packages/retention's purge asks about: conversationId
 * and senderId), so every path that would remove content gives the same answer.
 *
 * Holds are read from the tenant's `legal_holds` and the platform copy (packages/retention's
 * LegalHoldStore, where the compliance service writes them) at the moment of each edit or delete,
 * uncached: a hold placed a second ago must already stop a delete, and edits and deletes are rare
 * next to sends (which no hold blocks: adding to what is preserved destroys nothing).
 */
import { ProblemError } from '@parley/kit';
import type { LegalHold, LegalHoldStore } from '@parley/retention';
import type { MessageDocument } from '../store/collections.ts';

/** Why a held change is refused, in the words GDPR gives (as auth and compliance word it). */
export const LEGAL_EXEMPTION =
  'legal-hold: GDPR Art. 17(3)(e), establishment, exercise or defence of legal claims';

export function legalHoldProblem(what: string, holds: readonly LegalHold[]): ProblemError {
  return new ProblemError(
    409,
    'legal-hold',
    'Under legal hold',
    `${what} is under legal hold and is kept as it is`,
    { holdIds: holds.map((h) => h.id), exemption: LEGAL_EXEMPTION },
  );
}

/** Refuses (409 `legal-hold`, naming the holds) a change that would remove held content. */
export async function assertChangeable(
  holds: LegalHoldStore,
  message: Pick<MessageDocument, 'conversationId' | 'senderId'>,
  what: string,
): Promise<void> {
  const covering = (await holds.active()).covering({
    conversationId: message.conversationId,
    subjects: [message.senderId],
  });
  if (covering.length > 0) throw legalHoldProblem(what, covering);
}
