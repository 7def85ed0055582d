/**
 * The compliance service's own audit records (holds, GDPR jobs, consents, retention runs),
 * appended straight to the tenant's chain with source "compliance". The write they describe
 * happens first; a crash in between loses the record of a change that did happen, which the
 * job or hold document itself still shows (stated in the README).
 */
import { randomUUID } from 'node:crypto';
import type { AuditActor, AuditOutcome, AuditRecordInput } from '@parley/contracts';

type AuditMetadata = NonNullable<AuditRecordInput['metadata']>;

import type { AuditLogs } from './audit-logs.ts';

export interface TrailEntry {
  actor: AuditActor;
  action: string;
  resource: { type: string; id?: string };
  outcome: AuditOutcome;
  metadata?: Record<string, string | number | boolean | null | (string | number | boolean | null)[]>;
  personal?: { subject: string; fields: Record<string, string | number | boolean | null> }[];
}

export class AuditTrail {
  readonly #logs: AuditLogs;

  constructor(logs: AuditLogs) {
    this.#logs = logs;
  }

  async record(tenant: string, entry: TrailEntry): Promise<void> {
    await this.#logs.append(
      tenant,
      [
        {
          id: randomUUID(),
          occurredAt: new Date().toISOString(),
          actor: entry.actor,
          action: entry.action,
          resource: entry.resource,
          outcome: entry.outcome,
          ...(entry.metadata ? { metadata: entry.metadata as AuditMetadata } : {}),
          ...(entry.personal ? { personal: entry.personal } : {}),
        },
      ],
      'compliance',
    );
  }
}

/** Who asked: a person's id as given by the calling service, or the service itself. */
export function actorFrom(requestedBy: string): AuditActor {
  return requestedBy.startsWith('service:')
    ? { type: 'service', id: requestedBy.slice('service:'.length) || 'unknown' }
    : { type: 'user', id: requestedBy };
}
