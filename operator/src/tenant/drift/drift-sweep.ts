/**
 * The drift sweep: every OPERATOR_DRIFT_SWEEP_MS (30 s by default), one batched listing of every
 * store (drift-listing.ts) is compared with every Ready Tenant's desired state, and only the
 * tenants that lack something (a topic, ACL, Redis or Mongo user, database, bucket, MinIO user or
 * policy, index or alias, Elasticsearch user or role deleted or changed by hand) are reported (an
 * Event DriftDetected and the Tenant's status.lastDrift: what was found, and when) and queued for a
 * reconcile, which repairs them as any reconcile does (its steps' Events say what they restored). Separate from
 * the controller's resync (every 5 minutes, a full reconcile of every Tenant): at 1,000 tenants
 * that resync costs the stores tens of thousands of calls, so it cannot run often, while a sweep
 * costs a dozen calls whatever the number of tenants, so drift is found within one sweep.
 * It looks only at the Tenants of the controller's cache: a standby replica, whose controller is
 * not running, has none and sweeps nothing.
 */
import type { Logger } from '@parley/kit';
import { isTrue } from '../../api/conditions.ts';
import { FINALIZER, type Tenant } from '../../api/resources.ts';
import type { ObjectKey } from '../../manager/controller.ts';
import { desiredTenant } from '../desired-state.ts';
import type { StoreListing } from './drift-listing.ts';
import { driftOf } from './drift-of.ts';

export interface DriftSweepOptions {
  /** The Tenants the controller watches (its informer cache). */
  tenants: () => readonly Tenant[];
  list: () => Promise<StoreListing>;
  enqueue: (key: ObjectKey) => void;
  /** Tells the Tenant's readers what was found (Event, status); a failure is logged, not fatal. */
  report?: (tenant: Tenant, missing: string[]) => Promise<void>;
  logger: Logger;
  intervalMs: number;
  /** After each sweep: how many Tenants were checked and how many had drifted. */
  observe?: (result: SweepResult, seconds: number) => void;
}

export interface SweepResult {
  checked: number;
  drifted: { key: ObjectKey; missing: string[] }[];
}

export class DriftSweep {
  readonly name = 'tenant-drift-sweep';
  readonly #o: DriftSweepOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: DriftSweepOptions) {
    this.#o = options;
  }

  /** One sweep: list the stores once, queue every drifted Ready Tenant. */
  async sweep(): Promise<SweepResult> {
    const started = performance.now();
    const tenants = this.#o.tenants().filter(
      (t) =>
        !t.metadata.deletionTimestamp &&
        (t.metadata.finalizers ?? []).includes(FINALIZER) &&
        // A Tenant not Ready is being retried with backoff already.
        isTrue(t.status?.conditions, 'Ready'),
    );
    if (tenants.length === 0) return { checked: 0, drifted: [] };
    const listing = await this.#o.list();
    const drifted: SweepResult['drifted'] = [];
    for (const tenant of tenants) {
      const missing = driftOf(desiredTenant(tenant), listing);
      if (missing.length === 0) continue;
      const key = { namespace: tenant.metadata.namespace, name: tenant.metadata.name };
      drifted.push({ key, missing });
      await this.#o
        .report?.(tenant, missing)
        .catch((error) =>
          this.#o.logger.warn(
            { err: error, tenant: `${key.namespace}/${key.name}` },
            'could not report drift',
          ),
        );
      this.#o.enqueue(key);
    }
    if (drifted.length > 0)
      this.#o.logger.warn(
        { drifted: drifted.map((d) => ({ tenant: `${d.key.namespace}/${d.key.name}`, missing: d.missing })) },
        'drift found; reconciling the drifted tenants',
      );
    const result = { checked: tenants.length, drifted };
    this.#o.observe?.(result, (performance.now() - started) / 1000);
    return result;
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running) return; // a slow sweep is not stacked on
      this.#running = this.sweep()
        .catch((error) => this.#o.logger.warn({ err: error }, 'drift sweep failed; next one on schedule'))
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
