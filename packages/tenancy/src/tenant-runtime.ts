/**
 * The tenant runtime record: the operator publishes where each tenant stands (its status, plan
 * and quotas) in Redis at `t:<tenant>:runtime`, and every service reads it to decide whether to
 * serve the tenant. This module is the one definition of that record: the operator writes it with
 * `writeTenantRuntimeRecord` and the services read it through `TenantRuntimeStatusCache`, so the
 * writer and the readers cannot drift apart (they once did: the operator wrote `Ready` while the
 * services accepted only `Active`, and every tenant was refused).
 *
 * The status words are the registry's (`parley_platform.tenants`), one vocabulary for one thing.
 * Each service keeps its own policy over them (auth refuses a suspended tenant; compliance keeps
 * serving it, because legal duties outlive a suspension).
 */
import { redisKey } from './resource-names.ts';

export const TENANT_RUNTIME_KEY = 'runtime';

/**
 * Where a tenant stands, in the registry and in the runtime record alike:
 * - `Provisioning`: claimed, never yet fully provisioned: not served.
 * - `Ready`: served.
 * - `Suspended`: spec.suspended; refused by services that honour suspension.
 * - `Deleted`: the Tenant was deleted with deletionPolicy Retain; the data stays, nobody is served.
 */
export const TENANT_STATUSES = ['Provisioning', 'Ready', 'Suspended', 'Deleted'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export function isTenantStatus(value: unknown): value is TenantStatus {
  return typeof value === 'string' && (TENANT_STATUSES as readonly string[]).includes(value);
}

export interface TenantRuntimeQuotas {
  users: number;
  storageGiB: number;
  messagesPerSecond: number;
}

export interface TenantRuntimeRecord {
  status: TenantStatus;
  plan: string;
  quotas: TenantRuntimeQuotas;
  /** The Tenant generation this record describes. */
  generation: number;
}

export function tenantRuntimeKey(tenant: string): string {
  return redisKey(tenant, TENANT_RUNTIME_KEY);
}

/** The record as the Redis hash holds it (every field a string). */
export function encodeTenantRuntimeRecord(record: TenantRuntimeRecord): Record<string, string> {
  return {
    status: record.status,
    plan: record.plan,
    users: String(record.quotas.users),
    storageGiB: String(record.quotas.storageGiB),
    messagesPerSecond: String(record.quotas.messagesPerSecond),
    generation: String(record.generation),
  };
}

/** The hash read back; `null` when there is none or its status is not one of TENANT_STATUSES. */
export function decodeTenantRuntimeRecord(hash: Record<string, string>): TenantRuntimeRecord | null {
  if (!isTenantStatus(hash.status)) return null;
  const count = (field: string) => {
    const n = Number(hash[field]);
    return Number.isFinite(n) && n >= 0 ? n : 0;
  };
  return {
    status: hash.status,
    plan: hash.plan ?? '',
    quotas: {
      users: count('users'),
      storageGiB: count('storageGiB'),
      messagesPerSecond: count('messagesPerSecond'),
    },
    generation: count('generation'),
  };
}

/** The Redis calls the writer needs; ioredis's client satisfies it. */
export interface RuntimeRecordStore {
  hgetall(key: string): Promise<Record<string, string>>;
  multi(): {
    del(key: string): unknown;
    hset(key: string, value: Record<string, string>): unknown;
    exec(): Promise<unknown>;
  };
}

/**
 * Publishes the record (replacing the whole hash in one MULTI, so no reader sees a mix of two
 * records). Returns the status that was there before, or null when there was none, so the
 * caller can tell a change.
 */
export async function writeTenantRuntimeRecord(
  store: RuntimeRecordStore,
  tenant: string,
  record: TenantRuntimeRecord,
): Promise<{ changed: boolean; previous: TenantStatus | null }> {
  const key = tenantRuntimeKey(tenant);
  const current = await store.hgetall(key);
  const encoded = encodeTenantRuntimeRecord(record);
  const previous = isTenantStatus(current.status) ? current.status : null;
  const same =
    Object.keys(current).length === Object.keys(encoded).length &&
    Object.entries(encoded).every(([field, value]) => current[field] === value);
  if (same) return { changed: false, previous };
  const tx = store.multi();
  tx.del(key);
  tx.hset(key, encoded);
  await tx.exec();
  return { changed: true, previous };
}

/** Marks a tenant's record with a new status, keeping its other fields (deletion with Retain). */
export async function markTenantRuntimeStatus(
  store: { hset(key: string, field: string, value: string): Promise<unknown> },
  tenant: string,
  status: TenantStatus,
): Promise<void> {
  await store.hset(tenantRuntimeKey(tenant), 'status', status);
}

/** The one Redis call needed to read a status; ioredis's client satisfies it. */
export interface RuntimeRecordSource {
  hget(key: string, field: string): Promise<string | null>;
}

/**
 * Reads tenants' status with a short memory, so a request costs no Redis round trip while a
 * suspension still takes effect within `cacheMs`. `null`: no record (never provisioned, or its
 * keys removed by a deletion).
 */
export class TenantRuntimeStatusCache {
  readonly #source: RuntimeRecordSource;
  readonly #cacheMs: number;
  readonly #known = new Map<string, { status: TenantStatus | null; at: number }>();

  constructor(source: RuntimeRecordSource, cacheMs = 3_000) {
    this.#source = source;
    this.#cacheMs = cacheMs;
  }

  async status(tenant: string): Promise<TenantStatus | null> {
    const now = Date.now();
    const known = this.#known.get(tenant);
    // Strictly younger than the memory: with 0 nothing is remembered, even within one millisecond.
    if (known && now - known.at < this.#cacheMs) return known.status;
    const raw = await this.#source.hget(tenantRuntimeKey(tenant), 'status');
    const status = isTenantStatus(raw) ? raw : null;
    this.#known.set(tenant, { status, at: now });
    return status;
  }
}
