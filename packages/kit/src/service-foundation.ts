/**
 * What every service's components (`createComponents(settings, clients)`, in its components.ts)
 * carry for kit besides the service's own parts: who it logs as, who may call it, its tenant gate,
 * what /ready checks, and the workers runService starts and drains. buildApp hands these to
 * createServiceApp (`appOptions`), main.ts hands `workers` to runService.
 */
import type { ServiceAppOptions } from './http/create-service-app.ts';
import type { ReadinessCheck } from './http/probes.ts';
import type { ServiceCallers } from './http/service-auth.ts';
import type { TenantGate } from './http/tenant-gate.ts';
import type { Logger } from './logger.ts';
import type { Worker } from './worker.ts';

export interface ServiceFoundation {
  logger: Logger;
  /** SERVICE_TOKENS parsed (`ServiceCallers.parse`), or one bare token in tests. */
  callers: ServiceCallers | string;
  /** The service's own dependencies, for /ready (`readinessOf(mongo, redis, kafka)`). */
  readiness: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  /** Present when the service serves tenants by the operator's runtime record. */
  tenantGate?: TenantGate;
  /** Background work, started before listening and stopped after draining, in this order. */
  workers: Worker[];
}

/** createServiceApp's options from a service's components. */
export function appOptions(service: string, foundation: ServiceFoundation): ServiceAppOptions {
  return {
    service,
    logger: foundation.logger,
    callers: foundation.callers,
    readiness: foundation.readiness,
    ...(foundation.bodyLimitBytes !== undefined ? { bodyLimitBytes: foundation.bodyLimitBytes } : {}),
    ...(foundation.tenantGate ? { tenantGate: foundation.tenantGate } : {}),
  };
}
