/**
 * Security events as audit records (`audit.record.submitted.v1`, the compliance service's
 * contract in @parley/contracts), bound for the tenant's `audit` topic through the outbox.
 * Personal data (e-mail, address, user agent) goes only in `personal`, per data subject, sealed
 * under the subject's own key (`subject:<id>`, keyring purpose `audit.pii`) before the event is
 * written to the outbox: neither the outbox nor the Kafka topic ever holds it in the clear, and
 * crypto-shredding the person's key erases it there too. Ids and reasons go in `metadata`.
 */
import { randomUUID } from 'node:crypto';
import { type SubjectKeyEncryptor, sealPersonalFields } from '@parley/compliance-client';
import {
  type AuditActor,
  type AuditOutcome,
  type AuditRecordInput,
  AuditRecordSubmitted,
  type AuthSecurityAction,
  createEvent,
  type EventEnvelope,
} from '@parley/contracts';

export const AUDIT_SOURCE = 'auth';

export interface RequestContext {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

export interface SecurityEventInput {
  tenant: string;
  action: AuthSecurityAction;
  outcome: AuditOutcome;
  actor: AuditActor;
  resource: { type: string; id?: string };
  /** Whose personal fields these are: a user id, or for an unknown account its pseudonymous key. */
  subject?: string;
  email?: string;
  context?: RequestContext;
  metadata?: Record<string, string | number | boolean | null | string[]>;
}

/** Makes security events with their personal fields sealed; the only way auth makes them. */
export class SecurityEvents {
  readonly #sealer: SubjectKeyEncryptor;

  constructor(sealer: SubjectKeyEncryptor) {
    this.#sealer = sealer;
  }

  async create(input: SecurityEventInput): Promise<EventEnvelope> {
    const event = clearSecurityEvent(input);
    const payload = event.payload as AuditRecordInput;
    if (!payload.personal) return event;
    return { ...event, payload: await sealPersonalFields(this.#sealer, input.tenant, payload) };
  }
}

/** The event with personal fields in the clear: only SecurityEvents.create seals and sends it on. */
function clearSecurityEvent(input: SecurityEventInput): EventEnvelope {
  const personalFields: Record<string, string> = {};
  if (input.email) personalFields.email = input.email;
  if (input.context?.ip) personalFields.ip = input.context.ip;
  if (input.context?.userAgent) personalFields.userAgent = input.context.userAgent.slice(0, 500);
  const subject = input.subject ?? (input.actor.type === 'user' ? input.actor.id : undefined);
  return createEvent(AuditRecordSubmitted, {
    tenant: input.tenant,
    source: AUDIT_SOURCE,
    ...(input.context?.requestId ? { correlationId: input.context.requestId } : {}),
    payload: {
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      actor: input.actor,
      action: input.action,
      resource: input.resource,
      outcome: input.outcome,
      ...(input.metadata ? { metadata: input.metadata } : {}),
      ...(subject && Object.keys(personalFields).length > 0
        ? { personal: [{ subject, fields: personalFields }] }
        : {}),
      ...(input.context?.requestId ? { requestId: input.context.requestId } : {}),
    },
  });
}
