/**
 * Media's part in GDPR exports and erasures (the compliance service's protocol over each tenant's
 * `gdpr` topic, through @parley/compliance-client's GdprParticipant, consumer group `media.gdpr`):
 * the export lists the person's uploads, the erasure deletes or anonymises them
 * (domain/personal-data.ts). A hold on the person or the tenant reports the erasure `blocked`;
 * files in held conversations are kept (@parley/retention's erasureHolds).
 */
import { GdprParticipant, type GdprParticipationWiring } from '@parley/compliance-client';
import { erasureHolds } from '@parley/retention';
import type { MongoClient } from 'mongodb';
import type { ErasureMode, PersonalData } from '../domain/personal-data.ts';

export const GDPR_PARTICIPANT_NAME = 'media';

export function createGdprParticipation(
  options: GdprParticipationWiring & { personalData: PersonalData; mongo: MongoClient; mode: ErasureMode },
): GdprParticipant {
  const { personalData, mongo, mode, ...wiring } = options;
  return new GdprParticipant({
    ...wiring,
    name: GDPR_PARTICIPANT_NAME,
    description: 'uploaded files: their records and encrypted objects (media service)',
    holdsOn: async (tenant, userId) => (await erasureHolds(mongo, tenant, userId)).person.map((h) => h.id),
    handlers: {
      exportData: (tenant, userId) => personalData.export(tenant, userId),
      erase: async (tenant, userId) => {
        // Asked again right before erasing: a hold placed since holdsOn still stops it.
        const holds = await erasureHolds(mongo, tenant, userId);
        if (holds.person.length > 0)
          throw new Error(`under legal hold: ${holds.person.map((h) => h.id).join(', ')}`);
        return personalData.erase(tenant, userId, mode, holds.conversations);
      },
    },
  });
}
