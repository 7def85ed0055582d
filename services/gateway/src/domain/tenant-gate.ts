/**
 * Whether the gateway serves a tenant, and its plan's quotas, from the runtime record the operator
 * publishes in Redis (`t:<tenant>:runtime`, packages/tenancy's one definition of it).
 *
 * The gateway is stricter than compliance: a suspended tenant is refused with 403 on every route
 * (its legal duties go on inside, where no client of the tenant reaches); one still provisioning
 * 503; one without a record 404.
 *
 * Records are remembered: a tenant's first request reads Redis, later ones use the memory, and
 * once it is older than `cacheMs` the next request is answered from it while one background read
 * refreshes it. So the hot path makes no network call, and a suspension takes effect within
 * `cacheMs` plus one read.
 */
import { ProblemError } from '@parley/kit';
import { decodeTenantRuntimeRecord, type TenantRuntimeRecord, tenantRuntimeKey } from '@parley/tenancy';

export interface RuntimeRecordReader {
  hgetall(key: string): Promise<Record<string, string>>;
}

interface Known {
  record: TenantRuntimeRecord | null;
  at: number;
  refreshing?: Promise<void>;
}

export class TenantGate {
  readonly #source: RuntimeRecordReader;
  readonly #cacheMs: number;
  readonly #known = new Map<string, Known>();
  readonly #maxTenants: number;

  constructor(source: RuntimeRecordReader, cacheMs = 3_000, maxTenants = 50_000) {
    this.#source = source;
    this.#cacheMs = cacheMs;
    this.#maxTenants = maxTenants;
  }

  async #read(tenant: string): Promise<Known> {
    const record = decodeTenantRuntimeRecord(await this.#source.hgetall(tenantRuntimeKey(tenant)));
    const known = { record, at: Date.now() };
    this.#known.delete(tenant);
    this.#known.set(tenant, known);
    if (this.#known.size > this.#maxTenants) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
    return known;
  }

  async record(tenant: string): Promise<TenantRuntimeRecord | null> {
    const known = this.#known.get(tenant);
    // Unknown tenants are read every time (cacheMs 0 too): nothing stale to answer with.
    if (!known || this.#cacheMs === 0) return (await this.#read(tenant)).record;
    if (Date.now() - known.at > this.#cacheMs && !known.refreshing) {
      known.refreshing = this.#read(tenant).then(
        () => {},
        () => {
          known.refreshing = undefined;
        },
      );
    }
    return known.record;
  }

  /** The record of a tenant that may be served; a problem otherwise. */
  async assertServed(tenant: string): Promise<TenantRuntimeRecord> {
    const record = await this.record(tenant);
    if (record?.status === 'Ready') return record;
    if (record?.status === 'Suspended') {
      throw new ProblemError(403, 'tenant-suspended', 'Tenant suspended', 'This organisation is suspended');
    }
    if (record?.status === 'Provisioning') {
      throw new ProblemError(
        503,
        'tenant-provisioning',
        'Tenant not ready yet',
        'This organisation is still being set up; try again shortly',
      );
    }
    throw new ProblemError(404, 'unknown-tenant', 'Unknown tenant', 'No such organisation');
  }
}
