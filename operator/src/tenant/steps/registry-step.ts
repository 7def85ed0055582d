/**
 * Registry: first, claim the tenant id in parley_platform.tenants for this Tenant object (a
 * Tenant of the same name in another namespace is refused before it can touch any store, and a
 * Retained tenant's data is taken over only when this Tenant asks for it by spec.adoptRetained,
 * from the namespace it lived in).
 */
import type { Collection } from 'mongodb';
import {
  claimTenantId,
  type RegistryEntry,
  RetainedTenantNotAdoptedError,
  TenantIdTakenError,
} from '../registry.ts';
import { notReady, ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export class RegistryStep implements TenantStep {
  readonly name = 'Registry';
  readonly #registry: Collection<RegistryEntry>;

  constructor(registry: Collection<RegistryEntry>) {
    this.#registry = registry;
  }

  async apply({ tenant, desired, event }: TenantStepContext): Promise<StepOutcome> {
    let claimed: Awaited<ReturnType<typeof claimTenantId>>;
    try {
      claimed = await claimTenantId(
        this.#registry,
        desired,
        {
          uid: tenant.metadata.uid ?? '',
          name: tenant.metadata.name,
          generation: tenant.metadata.generation ?? 0,
          adoptRetained: tenant.spec.adoptRetained,
        },
        new Date(),
      );
    } catch (error) {
      if (error instanceof TenantIdTakenError) return notReady('TenantIdTaken', error.message);
      if (error instanceof RetainedTenantNotAdoptedError) return notReady(error.reason, error.message);
      throw error;
    }
    if (claimed.adoptedFrom) {
      const from = claimed.adoptedFrom;
      event(
        'Normal',
        'RetainedTenantAdopted',
        `took over the retained data of tenant ${desired.id} (previously ${from.namespace}/${from.name}, uid ${from.uid}) as asked by spec.adoptRetained`,
      );
    }
    return ready(
      'Claimed',
      `tenant id ${desired.id} registered to ${desired.namespace}/${tenant.metadata.name}`,
    );
  }
}
