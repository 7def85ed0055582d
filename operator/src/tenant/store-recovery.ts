/**
 * Retries the Tenants a store outage left waiting, as soon as the store answers again. A reconcile
 * that fails is retried with per-key exponential backoff (0.5 s doubling to 5 min): right for one
 * tenant's own problem, wrong for a store that was down for everyone. After FerretDB restarted, 421
 * of 1,000 Tenants stayed MongoUnavailable for 7 minutes, each waiting out its own backoff.
 *
 * Every OPERATOR_RECOVERY_PROBE_MS (5 s), from the controller's cache: which stores the Tenants'
 * conditions name as unavailable (a False condition with reason `<Store>Unavailable`, as
 * step-failure.ts words it). Only those stores are probed, with one cheap call each (Mongo `ping`,
 * Redis `PING`, one DescribeAcls of no principal, a HEAD of a bucket, an Elasticsearch ping); a
 * store that answers has its waiting Tenants retried now, their backoff forgotten. A Tenant whose
 * retry is due within two probe periods anyway is left to it, so a Tenant that keeps failing
 * while its store answers (its own problem, worded as unavailability) is retried about every
 * 10-15 s rather than in a tight loop. Nothing is probed while no Tenant waits on a store.
 */
import type { Logger } from '@parley/kit';
import type { Tenant } from '../api/resources.ts';
import type { ObjectKey } from '../manager/controller.ts';

/** One cheap call per store that resolves once it answers. */
export type StoreProbes = Partial<Record<string, () => Promise<unknown>>>;

export interface StoreRecoveryOptions {
  tenants: () => readonly Tenant[];
  probes: StoreProbes;
  /** Retries the key now if its backoff is due later than `ifLaterThanMs` (Controller.retrySooner). */
  retrySooner: (key: ObjectKey, ifLaterThanMs: number) => boolean;
  intervalMs: number;
  /** A probe that has not answered by then counts as down (default: the interval, at most 5 s). */
  probeTimeoutMs?: number;
  logger: Logger;
  observe?: (store: string, retried: number) => void;
}

const UNAVAILABLE = /^(.+)Unavailable$/;

/** The stores a Tenant's False conditions name as unavailable (`Mongo` for MongoUnavailable). */
export function storesWaitedOn(tenant: Tenant): Set<string> {
  const stores = new Set<string>();
  for (const c of tenant.status?.conditions ?? []) {
    const store = c.status === 'False' ? UNAVAILABLE.exec(c.reason ?? '')?.[1] : undefined;
    if (store) stores.add(store);
  }
  return stores;
}

export class StoreRecovery {
  readonly name = 'tenant-store-recovery';
  readonly #o: StoreRecoveryOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: StoreRecoveryOptions) {
    this.#o = options;
  }

  /** One round: probe the stores Tenants wait on; returns how many Tenants each recovered store got back. */
  async check(): Promise<Map<string, number>> {
    const waiting = new Map<string, ObjectKey[]>();
    for (const tenant of this.#o.tenants()) {
      if (tenant.metadata.deletionTimestamp) continue;
      for (const store of storesWaitedOn(tenant)) {
        if (!this.#o.probes[store]) continue;
        const keys = waiting.get(store) ?? [];
        keys.push({ namespace: tenant.metadata.namespace, name: tenant.metadata.name });
        waiting.set(store, keys);
      }
    }
    const retried = new Map<string, number>();
    await Promise.all(
      [...waiting].map(async ([store, keys]) => {
        if (!(await this.#answers(store))) return;
        const ifLaterThanMs = 2 * this.#o.intervalMs;
        const count = keys.filter((key) => this.#o.retrySooner(key, ifLaterThanMs)).length;
        retried.set(store, count);
        if (count > 0) {
          this.#o.logger.info(
            { store, tenants: count },
            'store answers again; retrying the tenants that waited on it',
          );
          this.#o.observe?.(store, count);
        }
      }),
    );
    return retried;
  }

  async #answers(store: string): Promise<boolean> {
    const probe = this.#o.probes[store];
    if (!probe) return false;
    const timeoutMs = this.#o.probeTimeoutMs ?? Math.min(this.#o.intervalMs, 5_000);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('probe timed out')), timeoutMs);
        }),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.check()
        .catch((error) => this.#o.logger.warn({ err: error }, 'store recovery check failed'))
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
