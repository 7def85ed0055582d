/**
 * Invitations for the Tenant's first admins, through the auth service's internal endpoint
 * (POST /internal/tenants/:tenant/invitations with the service credential). The endpoint is
 * idempotent per e-mail, so every reconcile may call it. When the auth service does not answer,
 * the condition says exactly that; nothing is recorded as sent that was not.
 */
import { notReady, ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export interface InvitationsOptions {
  authUrl: string;
  serviceToken: string;
  timeoutMs: number;
}

export class InvitationsStep implements TenantStep {
  readonly name = 'Invitations';
  readonly #options: InvitationsOptions;

  constructor(options: InvitationsOptions) {
    this.#options = options;
  }

  async apply({ desired }: TenantStepContext): Promise<StepOutcome> {
    if (desired.admins.length === 0) return ready('NoAdmins', 'spec.admins is empty: no invitations to send');
    const states: string[] = [];
    for (const email of desired.admins) {
      const url = new URL(`/internal/tenants/${desired.id}/invitations`, this.#options.authUrl);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-service-token': this.#options.serviceToken },
          body: JSON.stringify({ email, roles: ['admin'], invitedBy: 'operator' }),
          signal: AbortSignal.timeout(this.#options.timeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        return notReady(
          'AuthServiceUnavailable',
          `the auth service at ${this.#options.authUrl} did not answer (${cause}); ${desired.admins.length} admin invitation(s) not sent yet`,
        );
      }
      if (!response.ok) {
        const detail = await response.text().catch(() => '');
        return notReady(
          response.status === 404 ? 'InvitationEndpointMissing' : 'InvitationRefused',
          `the auth service answered ${response.status} for an invitation: ${detail.slice(0, 300)}`,
        );
      }
      const body = (await response.json()) as { state?: string };
      states.push(body.state ?? 'invited');
    }
    const accepted = states.filter((s) => s === 'accepted').length;
    return ready('Invited', `${desired.admins.length} admin(s) invited (${accepted} accepted)`);
  }
}
