/**
 * What a GDPR participant (a service holding personal data) calls on the compliance service:
 * register once, upload its export part, record a rectification. Requests and reports travel on
 * the tenant's gdpr topic (see packages/contracts/src/events/gdpr.ts for the protocol).
 */
import type { RectificationBody, RegisterParticipantBody } from '@parley/contracts';
import { ComplianceHttp, type ComplianceHttpOptions } from './compliance-http.ts';

export class GdprClient {
  readonly #http: ComplianceHttp;

  constructor(http: ComplianceHttp | ComplianceHttpOptions) {
    this.#http = http instanceof ComplianceHttp ? http : new ComplianceHttp(http);
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

  recordRectification(tenant: string, body: RectificationBody): Promise<unknown> {
    return this.#http.request('POST', `/v1/tenants/${tenant}/gdpr/rectifications`, body);
  }
}
