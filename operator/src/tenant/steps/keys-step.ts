/**
 * Keys: the tenant key's first version through packages/keyring (idempotent: an existing key is
 * left as it is and its current version reported). Rotation belongs to KeyRotationSchedule.
 */
import type { Keyring } from '@parley/keyring';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export type TenantKeys = Pick<Keyring, 'ensureTenantKey' | 'scheduleDestruction' | 'listKeys'>;

export class KeysStep implements TenantStep {
  readonly name = 'Keys';
  readonly #keys: TenantKeys;

  constructor(keys: TenantKeys) {
    this.#keys = keys;
  }

  async apply({ desired, facts }: TenantStepContext): Promise<StepOutcome> {
    const key = await this.#keys.ensureTenantKey(desired.id);
    facts.keyVersion = key.primaryVersion;
    if (key.state !== 'enabled') {
      // Never cancelled from here: a pending destruction may be a CryptoShred, which must hold.
      return {
        status: 'False',
        reason: 'KeyNotUsable',
        message: `tenant key "${key.keyName}" is ${key.state}${key.destroyAt ? ` (destruction at ${new Date(key.destroyAt).toISOString()})` : ''}: a deleted tenant of this id had its keys scheduled for destruction, which the operator never undoes; give the new tenant another id`,
      };
    }
    return ready('Provisioned', `tenant key "${key.keyName}" at version ${key.primaryVersion}`);
  }
}
