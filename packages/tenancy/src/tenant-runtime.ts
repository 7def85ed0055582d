/**
 * The tenant runtime record: the operator publishes each tenant's status (and quotas) in Redis at
 * `t:<tenant>:runtime`, and every service reads it to decide whether to serve the tenant. This
 * module is the one reader; each service keeps its own policy (auth refuses a suspended tenant,
 * compliance keeps serving it because legal duties outlive a suspension).
 */
import { redisKey } from './resource-names.ts';

export const TENANT_RUNTIME_KEY = 'runtime';

/** What the operator writes in the record's `status` field. */
export type TenantRuntimeStatus = 'Active' | 'Suspended';

export function tenantRuntimeKey(tenant: string): string {
  return redisKey(tenant, TENANT_RUNTIME_KEY);
}

/** The one Redis call needed; ioredis's client satisfies it. */
export interface RuntimeRecordSource {
  hget(key: string, field: string): Promise<string | null>;
}

/**
 * Reads tenants' status with a short memory, so a request costs no Redis round trip while a
 * suspension still takes effect within `cacheMs`. `null`: no record (never provisioned, or deleted).
 */
export class TenantRuntimeStatusCache {
  readonly #source: RuntimeRecordSource;
  readonly #cacheMs: number;
  readonly #known = new Map<string, { status: TenantRuntimeStatus | null; at: number }>();

  constructor(source: RuntimeRecordSource, cacheMs = 3_000) {
    this.#source = source;
    this.#cacheMs = cacheMs;
  }

  async status(tenant: string): Promise<TenantRuntimeStatus | null> {
    const now = Date.now();
    const known = this.#known.get(tenant);
    if (known && now - known.at <= this.#cacheMs) return known.status;
    const raw = await this.#source.hget(tenantRuntimeKey(tenant), 'status');
    const status = raw === 'Active' || raw === 'Suspended' ? raw : null;
    this.#known.set(tenant, { status, at: now });
    return status;
  }
}
