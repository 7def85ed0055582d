/**
 * Messaging's part in GDPR exports and erasures (the compliance service's protocol over each
 * tenant's `gdpr` topic, through @parley/compliance-client's GdprParticipant): the export lists
 * the person's conversations and messages (decrypted) and reactions; the erasure deletes or
 * anonymises their messages as the tenant's policy says (its Tenant's spec.gdpr.erasureMode, read
 * from the registry at each erasure; unset: GDPR_ERASURE_MODE) (domain/personal-data.ts). A hold on the
 * person or the tenant reports the erasure `blocked`; messages in held conversations are kept.
 */
import { GdprParticipant, type GdprParticipationWiring } from '@parley/compliance-client';
import { LegalHoldStore } from '@parley/retention';
import type { TenantDirectory } from '@parley/tenancy';
import type { MongoClient } from 'mongodb';
import type { ErasureMode, PersonalData } from './domain/personal-data.ts';

export const GDPR_PARTICIPANT_NAME = 'messaging';

/** The conversations under an active legal hold, and the holds on the person (or the tenant). */
export async function holdsOf(mongo: MongoClient, tenant: string, userId: string) {
  const holds = await new LegalHoldStore(mongo, tenant).active();
  const conversations = new Set(
    holds.holds.flatMap((h) => (h.scope.kind === 'conversation' ? [h.scope.conversationId] : [])),
  );
  return { person: holds.coveringPerson(userId), conversations };
}

/** The tenant's erasure mode: its registry entry's gdpr.erasureMode (the Tenant's spec), else `fallback`. */
export function tenantErasureMode(
  directory: Pick<TenantDirectory, 'gdprOf'>,
  fallback: ErasureMode,
): (tenant: string) => Promise<ErasureMode> {
  return async (tenant) => (await directory.gdprOf(tenant)).erasureMode ?? fallback;
}

export function createGdprParticipation(
  options: GdprParticipationWiring & {
    personalData: PersonalData;
    mongo: MongoClient;
    /** The tenant's erasure mode, asked at each erasure (so a changed policy applies to the next). */
    modeOf: (tenant: string) => Promise<ErasureMode>;
  },
): GdprParticipant {
  const { personalData, mongo, modeOf, ...wiring } = options;
  return new GdprParticipant({
    ...wiring,
    name: GDPR_PARTICIPANT_NAME,
    description: 'conversations, memberships, messages and reactions (messaging service)',
    holdsOn: async (tenant, userId) => (await holdsOf(mongo, tenant, userId)).person.map((h) => h.id),
    handlers: {
      exportData: (tenant, userId) => personalData.export(tenant, userId),
      erase: async (tenant, userId) => {
        // Asked again right before erasing: a hold placed since holdsOn still stops it.
        const holds = await holdsOf(mongo, tenant, userId);
        if (holds.person.length > 0)
          throw new Error(`under legal hold: ${holds.person.map((h) => h.id).join(', ')}`);
        return personalData.erase(tenant, userId, await modeOf(tenant), holds.conversations);
      },
    },
  });
}
