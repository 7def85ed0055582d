/**
 * Security events as audit records (`audit.record.submitted.v1`, the compliance service's
 * contract in @parley/contracts), bound for the tenant's `audit` topic through the outbox.
 * Personal data (e-mail, address, user agent) goes only in `personal`, per data subject, so the
 * compliance service can crypto-shred it; ids and reasons go in `metadata`.
 */
import { randomUUID } from 'node:crypto';
import {
  type AuditActor,
  type AuditOutcome,
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

export function securityEvent(input: SecurityEventInput): EventEnvelope {
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
