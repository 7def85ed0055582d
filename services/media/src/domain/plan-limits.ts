/**
 * What a tenant may store, from the operator's runtime record (`t:<tenant>:runtime`): the largest
 * file by its plan, and the total storage (`quotas.storageGiB`). The per-file size is a property
 * of the plan (the Tenant resource carries no per-file field yet): the table below, with a
 * deployment-wide ceiling (MEDIA_MAX_FILE_BYTES) that no plan exceeds.
 */
import { decodeTenantRuntimeRecord, tenantRuntimeKey } from '@parley/tenancy';

const MIB = 1024 * 1024;

/** Largest file per plan; an unknown plan gets the smallest. */
export const PLAN_FILE_LIMITS: Readonly<Record<string, number>> = {
  free: 10 * MIB,
  team: 100 * MIB,
  business: 500 * MIB,
  enterprise: 2048 * MIB,
};
const UNKNOWN_PLAN_LIMIT = 10 * MIB;

export interface MediaLimits {
  plan: string;
  maxFileBytes: number;
  /** Total bytes the tenant may hold (plaintext sizes). */
  storageQuotaBytes: number;
}

export interface RuntimeHashSource {
  hgetall(key: string): Promise<Record<string, string>>;
}

export class PlanLimits {
  readonly #redis: RuntimeHashSource;
  readonly #ceiling: number;

  constructor(redis: RuntimeHashSource, ceilingBytes: number) {
    this.#redis = redis;
    this.#ceiling = ceilingBytes;
  }

  async of(tenant: string): Promise<MediaLimits> {
    const record = decodeTenantRuntimeRecord(await this.#redis.hgetall(tenantRuntimeKey(tenant)));
    const plan = record?.plan ?? '';
    const perPlan = PLAN_FILE_LIMITS[plan] ?? UNKNOWN_PLAN_LIMIT;
    return {
      plan,
      maxFileBytes: Math.min(perPlan, this.#ceiling),
      storageQuotaBytes: Math.floor((record?.quotas.storageGiB ?? 0) * 1024 * MIB),
    };
  }
}
