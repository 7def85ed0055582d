/** What the compliance routes share: their dependencies and the tenant path parameter. */

import type { PersonalDataSealer } from '@parley/audit-chain';
import { TenantIdSchema } from '@parley/tenancy';
import { Type } from 'typebox';
import type { AuditLogs } from '../domain/audit-logs.ts';
import type { ConsentStore } from '../domain/consents.ts';
import type { GdprCoordinator } from '../domain/gdpr-coordinator.ts';
import type { LegalHolds } from '../domain/legal-holds.ts';
import type { ParticipantRegistry } from '../domain/participant-registry.ts';
import type { RetentionRunner } from '../domain/retention-runner.ts';

export interface RouteDeps {
  auditLogs: AuditLogs;
  sealer: PersonalDataSealer;
  gdpr: GdprCoordinator;
  consents: ConsentStore;
  holds: LegalHolds;
  participants: ParticipantRegistry;
  retention: RetentionRunner;
}

export const TenantParams = Type.Object({ tenant: TenantIdSchema });
