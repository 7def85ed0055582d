/**
 * Runtime: last, publish where the tenant stands to the services: the registry entry's status
 * (Ready only when every earlier step is; Suspended when spec.suspended) with its lifecycle
 * events, and the Redis runtime record (status and quotas) every service reads per request.
 */
import { isDeepStrictEqual } from 'node:util';
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
    const record = { ...runtimeRecord(desired, generation), status };
    const key = desired.redis.runtimeKey;
    const current = await this.#redis.hgetall(key);
    if (!isDeepStrictEqual({ ...current }, record)) {
      await this.#redis.multi().del(key).hset(key, record).exec();
      if (current.status !== status)
        event('Normal', `Tenant${status}`, `Registry and runtime record say ${status}`);
    }
    return ready('Published', `registry entry ${status}; runtime record ${key}`);
  }
}
