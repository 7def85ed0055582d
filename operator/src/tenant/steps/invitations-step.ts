/**
 * Invitations for the Tenant's first admins, through the auth service's internal endpoint
 * (POST /v1/internal/tenants/:tenant/invitations with the service credential), over the house
 * transport (@parley/service-http). The endpoint is idempotent per e-mail, so every reconcile may
 * call it, and the transport may repeat it. When the auth service does not answer, the condition
 * says exactly that; nothing is recorded as sent that was not.
 */
import { ServiceHttp, ServiceProblemError, ServiceUnavailableError } from '@parley/service-http';
import { notReady, ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export interface InvitationsOptions {
  authUrl: string;
  serviceToken: string;
  timeoutMs: number;
}

export class InvitationsStep implements TenantStep {
  readonly name = 'Invitations';
  readonly #authUrl: string;
  /** One transport for every reconcile: one breaker for the auth service. */
  readonly #http: ServiceHttp;

  constructor(options: InvitationsOptions) {
    this.#authUrl = options.authUrl;
    this.#http = new ServiceHttp({
      service: 'auth',
      baseUrl: options.authUrl,
      serviceToken: options.serviceToken,
      timeoutMs: options.timeoutMs,
      // A failed reconcile is requeued with its own backoff: one repeat here is enough.
      attempts: 2,
    });
  }

  async apply({ desired }: TenantStepContext): Promise<StepOutcome> {
    if (desired.admins.length === 0) return ready('NoAdmins', 'spec.admins is empty: no invitations to send');
    const states: string[] = [];
    for (const email of desired.admins) {
      let body: { state?: string } | undefined;
      try {
        body = await this.#http.request<{ state?: string }>(
          'POST',
          `/v1/internal/tenants/${encodeURIComponent(desired.id)}/invitations`,
          { email, roles: ['admin'], invitedBy: 'operator' },
          { idempotent: true },
        );
      } catch (error) {
        if (error instanceof ServiceUnavailableError) {
          return notReady(
            'AuthServiceUnavailable',
            `the auth service at ${this.#authUrl} did not answer (${error.failure}); ${desired.admins.length} admin invitation(s) not sent yet`,
          );
        }
        if (error instanceof ServiceProblemError) {
          return notReady(
            error.status === 404 ? 'InvitationEndpointMissing' : 'InvitationRefused',
            `the auth service answered ${error.status} for an invitation: ${(error.detail ?? error.title).slice(0, 300)}`,
          );
        }
        throw error;
      }
      states.push(body?.state ?? 'invited');
    }
    const accepted = states.filter((s) => s === 'accepted').length;
    return ready('Invited', `${desired.admins.length} admin(s) invited (${accepted} accepted)`);
  }
}
