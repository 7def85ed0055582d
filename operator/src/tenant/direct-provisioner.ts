/**
 * The operator's provisioning without Kubernetes: the same phases and steps (tenantPhases), the
 * same number of tenants in flight and the same retry of a tenant whose steps are not all True,
 * but no watch, no status writes, no Events and no credentials Secret (the credentials stay in
 * memory). The operator benchmark runs it beside the operator to measure what Kubernetes adds.
 */
import type { Logger } from '@parley/kit';
import type { Tenant } from '../api/resources.ts';
import { newPassword } from './credentials.ts';
import { desiredTenant } from './desired-state.ts';
import { runPhases } from './run-phases.ts';
import { ready, type StepOutcome, type TenantStep } from './step.ts';

export interface DirectProvisionOptions {
  /** tenantPhases(deps, directCredentialsStep). */
  phases: TenantStep[][];
  concurrency: number;
  stepTimeoutMs: number;
  logger: Logger;
  /** Attempts per tenant before it counts as failed (the operator retries with backoff). */
  attempts?: number;
  retryDelayMs?: number;
  observeStep?: (step: string, status: string, seconds: number) => void;
}

/** Where the operator writes the Secret: nothing here (the credentials never leave memory). */
export const directCredentialsStep: TenantStep = {
  name: 'Credentials',
  apply: async () => ready('InMemory', 'credentials kept in memory (direct provisioning)'),
};

/** Provisions every tenant, `concurrency` at a time; ms from start to all-True, or undefined. */
export async function provisionDirect(
  tenants: readonly Tenant[],
  o: DirectProvisionOptions,
): Promise<Map<string, number | undefined>> {
  const started = performance.now();
  const results = new Map<string, number | undefined>();
  const queue = [...tenants];
  const one = async (tenant: Tenant) => {
    const desired = desiredTenant(tenant);
    const credentials = {
      redisPassword: newPassword(),
      kafkaPassword: newPassword(),
      mongoPassword: newPassword(),
      s3SecretKey: newPassword(),
      searchPassword: newPassword(),
    };
    for (let attempt = 1; attempt <= (o.attempts ?? 5); attempt += 1) {
      const outcomes = await runPhases(
        o.phases,
        {
          tenant,
          desired,
          credentials,
          existingSecret: undefined,
          facts: {},
          earlier: new Map<string, StepOutcome>(),
          event: () => {},
        },
        {
          stepTimeoutMs: o.stepTimeoutMs,
          logger: o.logger,
          ...(o.observeStep ? { observeStep: o.observeStep } : {}),
        },
      );
      if ([...outcomes.values()].every((x) => x.status === 'True')) {
        results.set(tenant.metadata.name, performance.now() - started);
        return;
      }
      await new Promise((r) => setTimeout(r, (o.retryDelayMs ?? 1_000) * attempt));
    }
    results.set(tenant.metadata.name, undefined);
  };
  const worker = async () => {
    for (let tenant = queue.shift(); tenant; tenant = queue.shift()) await one(tenant);
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, tenants.length) }, worker));
  return results;
}
