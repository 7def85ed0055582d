/**
 * What may forbid destroying a key: legal holds. The keyring does not read holds itself (they
 * live in each tenant's database, owned by @parley/retention); whoever destroys keys for real
 * (the crypto service) passes a check, and the keyring asks it when destruction is scheduled and
 * again at the moment of destruction, because a hold can be placed during the waiting period.
 */

/** A hold as far as the keyring cares: enough to name it in a refusal. */
export interface DestructionHold {
  id: string;
  reason: string;
}

/**
 * The active holds that cover a tenant's key (`subject:<userId>` keys by a hold on that person or
 * the tenant; the tenant's own keys by a tenant-wide hold). Empty when the key may be destroyed.
 * Throwing means "cannot tell": the keyring then refuses to schedule and the sweep leaves the key
 * pending, since a destruction cannot be undone.
 */
export type DestructionHoldCheck = (tenant: string, keyName: string) => Promise<readonly DestructionHold[]>;
