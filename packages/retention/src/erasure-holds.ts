/**
 * What a GDPR erasure participant must respect, read once right before it erases: the holds that
 * cover the person (or the whole tenant: the erasure is then blocked) and the conversations under
 * hold (the person's data in them is kept). One reading for every participant that erases
 * conversation data (media's files, search's documents), so they agree with each other.
 */
import type { MongoClient } from 'mongodb';
import type { LegalHold } from './legal-hold.ts';
import { LegalHoldStore } from './legal-hold-store.ts';

export interface ErasureHolds {
  /** Holds covering the person or the tenant: nothing may be erased. */
  person: LegalHold[];
  /** Conversations under hold: their content stays. */
  conversations: ReadonlySet<string>;
}

export async function erasureHolds(
  client: MongoClient,
  tenant: string,
  userId: string,
): Promise<ErasureHolds> {
  const holds = await new LegalHoldStore(client, tenant).active();
  const conversations = new Set(
    holds.holds.flatMap((h) => (h.scope.kind === 'conversation' ? [h.scope.conversationId] : [])),
  );
  return { person: holds.coveringPerson(userId), conversations };
}
