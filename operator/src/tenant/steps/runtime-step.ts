/**
 * Runtime: last, publish where the tenant stands to the services: the registry entry's status
 * (Provisioning until every earlier step has been True once; Suspended when spec.suspended) with
 * its lifecycle events, and the Redis runtime record (the same status, plan and quotas) that every
 * service reads per request. Both go through packages/tenancy's one definition of the record.
 */
import { writeTenantRuntimeRecord } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import type { Collection } from 'mongodb';
import { runtimeRecord } from '../desired-state.ts';
import { type RegistryEntry, recordTenantState } from '../registry.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export class RuntimeStep implements TenantStep {
  readonly name = 'Runtime';
  readonly #registry: Collection<RegistryEntry>;
  readonly #redis: Redis;

  constructor(registry: Collection<RegistryEntry>, redis: Redis) {
    this.#registry = registry;
    this.#redis = redis;
  }

  async apply({ tenant, desired, earlier, event }: TenantStepContext): Promise<StepOutcome> {
    const allReady = [...earlier.values()].every((o) => o.status === 'True');
    const generation = tenant.metadata.generation ?? 0;
    const status = await recordTenantState(
      this.#registry,
      desired,
      tenant.metadata.uid ?? '',
      allReady,
      generation,
      new Date(),
    );
    const { changed, previous } = await writeTenantRuntimeRecord(
      this.#redis,
      desired.id,
      runtimeRecord(desired, status, generation),
    );
    if (changed && previous !== status)
      event('Normal', `Tenant${status}`, `Registry and runtime record say ${status}`);
    return ready('Published', `registry entry ${status}; runtime record ${desired.redis.runtimeKey}`);
  }
}
