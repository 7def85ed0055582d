/**
 * The auth service's part in GDPR exports and erasures (the compliance service's protocol over
 * each tenant's `gdpr` topic, through @parley/compliance-client's GdprParticipant): export is
 * everything auth holds about the person (never a secret), erasure anonymises the account and
 * removes sessions, refresh-token families, MFA secrets and recovery codes. A person or tenant
 * under a legal hold is reported `blocked` and the refusal is audited here as well. Started and
 * retried in the background by compliance-client's GdprParticipation (components.ts).
 */
import { GdprParticipant, type GdprParticipationWiring } from '@parley/compliance-client';
import type { AuthComponents } from '../components.ts';
import { legalHoldProblem } from '../domain/user-deletion.ts';

export const GDPR_PARTICIPANT_NAME = 'auth';

/** GDPR erasures are requested through the compliance service: auth records it as the actor. */
const COMPLIANCE_ACTOR = { type: 'service', id: 'compliance' } as const;

export function createGdprParticipation(
  options: GdprParticipationWiring & { components: AuthComponents },
): GdprParticipant {
  const { components, ...wiring } = options;
  return new GdprParticipant({
    ...wiring,
    name: GDPR_PARTICIPANT_NAME,
    description: 'accounts, roles, status, sessions, MFA enrolment (auth service)',
    holdsOn: async (tenant, userId) => {
      const c = await components.store.forTenant(tenant);
      const holds = await components.deletion.refusalFor(c, userId, COMPLIANCE_ACTOR, 'gdpr-erasure', {});
      return holds.map((h) => h.id);
    },
    handlers: {
      exportData: async (tenant, userId) =>
        components.personalData.export(await components.store.forTenant(tenant), userId),
      erase: async (tenant, userId) => {
        const c = await components.store.forTenant(tenant);
        // Asked again right before deleting: a hold placed since holdsOn still stops it.
        const holds = await components.deletion.holdsOn(tenant, userId);
        if (holds.length > 0) throw legalHoldProblem(userId, holds);
        return components.personalData.erase(c, userId, COMPLIANCE_ACTOR, 'gdpr-erasure');
      },
    },
  });
}
