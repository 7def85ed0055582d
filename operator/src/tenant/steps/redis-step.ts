/**
 * Redis: the tenant's ACL user, limited to its workloads' keys and channels under
 * `t:<tenant>:app:` (and reading, not writing, its runtime record; see redisAclRules for why
 * nothing else under `t:<tenant>:`) and refused dangerous and admin commands. `ACL SETUSER <user> reset ...` is applied on every reconcile, so a
 * user deleted or widened by hand is restored to exactly these rules (drift correction).
 */
import type { Redis } from 'ioredis';
import { redisAclRules } from '../desired-state.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export class RedisStep implements TenantStep {
  readonly name = 'Redis';
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async apply({ desired, credentials, event }: TenantStepContext): Promise<StepOutcome> {
    const { user } = desired.redis;
    const existed = (await this.#redis.call('ACL', 'GETUSER', user)) !== null;
    await this.#redis.call('ACL', 'SETUSER', user, ...redisAclRules(desired, credentials.redisPassword));
    if (!existed) event('Normal', 'RedisUserCreated', `Redis ACL user ${user} created`);
    const state = desired.suspended ? 'disabled (tenant suspended)' : 'enabled';
    const { keyPrefix, readOnlyKeys } = desired.redis.workload;
    return ready(
      'Provisioned',
      `ACL user ${user} ${state}, keys and channels ${keyPrefix}*, read-only ${readOnlyKeys.join(', ')}`,
    );
  }
}

/** Deletes the tenant's ACL user and, with `purgeKeys`, every key under its prefix (SCAN, not KEYS). */
export async function removeTenantFromRedis(
  redis: Redis,
  user: string,
  keyPattern: string,
  purgeKeys: boolean,
): Promise<number> {
  await redis.call('ACL', 'DELUSER', user);
  if (!purgeKeys) return 0;
  let removed = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', keyPattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}
