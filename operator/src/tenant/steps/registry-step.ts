/**
 * Registry: first, claim the tenant id in parley_platform.tenants for this Tenant object (a
 * Tenant of the same name in another namespace is refused before it can touch any store).
 */
import type { Collection } from 'mongodb';
import { claimTenantId, type RegistryEntry, TenantIdTakenError } from '../registry.ts';
import { notReady, ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export class RegistryStep implements TenantStep {
  readonly name = 'Registry';
  readonly #registry: Collection<RegistryEntry>;

  constructor(registry: Collection<RegistryEntry>) {
    this.#registry = registry;
  }

  async apply({ tenant, desired }: TenantStepContext): Promise<StepOutcome> {
    try {
      await claimTenantId(
        this.#registry,
        desired,
        tenant.metadata.uid ?? '',
        tenant.metadata.name,
        new Date(),
      );
    } catch (error) {
      if (error instanceof TenantIdTakenError) return notReady('TenantIdTaken', error.message);
      throw error;
    }
    return ready(
      'Claimed',
      `tenant id ${desired.id} registered to ${desired.namespace}/${tenant.metadata.name}`,
    );
  }
}
