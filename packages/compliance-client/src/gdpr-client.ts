/**
 * What a GDPR participant (a service holding personal data) calls on the compliance service:
 * register once, upload its export part, record a rectification. Requests and reports travel on
 * the tenant's gdpr topic (see packages/contracts/src/events/gdpr.ts for the protocol).
 */
import type { GdprJobViewSchema, RectificationBody, RegisterParticipantBody } from '@parley/contracts';
import type { ServiceHttp } from '@parley/service-http';
import type { Static } from 'typebox';
import { type ComplianceHttpOptions, ComplianceServiceError, toComplianceHttp } from './compliance-http.ts';

/** A GDPR job as the compliance service answers it (GET /v1/tenants/:tenant/gdpr/jobs/:jobId). */
export type GdprJobView = Static<typeof GdprJobViewSchema>;

export class GdprClient {
  readonly #http: ServiceHttp;

  constructor(http: ServiceHttp | ComplianceHttpOptions) {
    this.#http = toComplianceHttp(http);
  }

  registerParticipant(name: string, body: RegisterParticipantBody): Promise<unknown> {
    return this.#http.request('PUT', `/v1/gdpr/participants/${encodeURIComponent(name)}`, body);
  }

  /** Upload, then report `exportPart: {sha256, bytes}` from the answer in gdpr.participant.reported.v1. */
  uploadExportPart(
    tenant: string,
    jobId: string,
    participant: string,
    data: unknown,
  ): Promise<{ sha256: string; bytes: number }> {
    return this.#http.request('PUT', `/v1/tenants/${tenant}/gdpr/jobs/${jobId}/export-parts/${participant}`, {
      data,
    });
  }

  /**
   * The job as the compliance service keeps it in the tenant's database, or undefined when there
   * is none (a 404, or a 400 for an id that cannot be a job's): a participant acts on a request
   * only when its job exists. Outages throw, so the request waits on the topic meanwhile.
   */
  async job(tenant: string, jobId: string): Promise<GdprJobView | undefined> {
    try {
      return await this.#http.request<GdprJobView>(
        'GET',
        `/v1/tenants/${encodeURIComponent(tenant)}/gdpr/jobs/${encodeURIComponent(jobId)}`,
      );
    } catch (error) {
      if (error instanceof ComplianceServiceError && (error.status === 404 || error.status === 400))
        return undefined;
      throw error;
    }
  }

  recordRectification(tenant: string, body: RectificationBody): Promise<unknown> {
    return this.#http.request('POST', `/v1/tenants/${tenant}/gdpr/rectifications`, body);
  }
}
