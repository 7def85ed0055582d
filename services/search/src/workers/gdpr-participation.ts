/**
 * Search's part in GDPR erasures (the compliance service's protocol over each tenant's `gdpr`
 * topic, through @parley/compliance-client's GdprParticipant, consumer group `search.gdpr`): the
 * person's documents leave the tenant's index, except in conversations under legal hold (kept, as
 * messaging keeps the messages); a hold on the person or the tenant reports the erasure `blocked`.
 * Search registers for erasures only: its index is a copy of what messaging holds and exports.
 * The same in either erasure mode: in `anonymise` mode the messages messaging keeps come back
 * under `former-member` with its change events or a reindex, never under the person's id.
 */
import { GdprParticipant, type GdprParticipationWiring } from '@parley/compliance-client';
import { erasureHolds } from '@parley/retention';
import type { MongoClient } from 'mongodb';
import type { MessageIndex } from '../domain/message-index.ts';

export const GDPR_PARTICIPANT_NAME = 'search';

export function createGdprParticipation(
  options: GdprParticipationWiring & { index: MessageIndex; mongo: MongoClient },
): GdprParticipant {
  const { index, mongo, ...wiring } = options;
  return new GdprParticipant({
    ...wiring,
    name: GDPR_PARTICIPANT_NAME,
    description: 'indexed messages (search service)',
    holdsOn: async (tenant, userId) => (await erasureHolds(mongo, tenant, userId)).person.map((h) => h.id),
    handlers: {
      erase: async (tenant, userId) => {
        // Asked again right before erasing: a hold placed since holdsOn still stops it.
        const holds = await erasureHolds(mongo, tenant, userId);
        if (holds.person.length > 0)
          throw new Error(`under legal hold: ${holds.person.map((h) => h.id).join(', ')}`);
        const removed = await index.removeSender(tenant, userId, holds.conversations);
        return { counts: { documentsRemoved: removed } };
      },
    },
  });
}
