/**
 * Media's part in GDPR exports and erasures (the compliance service's protocol over each tenant's
 * `gdpr` topic, through @parley/compliance-client's GdprParticipant, consumer group `media.gdpr`):
 * the export lists the person's uploads, the erasure deletes or anonymises them
 * (domain/personal-data.ts). A hold on the person or the tenant reports the erasure `blocked`;
 * files in held conversations are kept. The same hold reading as messaging's.
 */
import { GdprParticipant, type GdprParticipationWiring } from '@parley/compliance-client';
import { LegalHoldStore } from '@parley/retention';
import type { MongoClient } from 'mongodb';
import type { ErasureMode, PersonalData } from '../domain/personal-data.ts';

export const GDPR_PARTICIPANT_NAME = 'media';

async function holdsOf(mongo: MongoClient, tenant: string, userId: string) {
  const holds = await new LegalHoldStore(mongo, tenant).active();
  const conversations = new Set(
    holds.holds.flatMap((h) => (h.scope.kind === 'conversation' ? [h.scope.conversationId] : [])),
  );
  return { person: holds.coveringPerson(userId), conversations };
}

export function createGdprParticipation(
  options: GdprParticipationWiring & { personalData: PersonalData; mongo: MongoClient; mode: ErasureMode },
): GdprParticipant {
  const { personalData, mongo, mode, ...wiring } = options;
  return new GdprParticipant({
    ...wiring,
    name: GDPR_PARTICIPANT_NAME,
    description: 'uploaded files: their records and encrypted objects (media service)',
    holdsOn: async (tenant, userId) => (await holdsOf(mongo, tenant, userId)).person.map((h) => h.id),
    handlers: {
      exportData: (tenant, userId) => personalData.export(tenant, userId),
      erase: async (tenant, userId) => {
        // Asked again right before erasing: a hold placed since holdsOn still stops it.
        const holds = await holdsOf(mongo, tenant, userId);
        if (holds.person.length > 0)
          throw new Error(`under legal hold: ${holds.person.map((h) => h.id).join(', ')}`);
        return personalData.erase(tenant, userId, mode, holds.conversations);
      },
    },
  });
}
