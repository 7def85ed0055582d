/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: the
 * holder renews the Lease every retry period; another candidate takes it only once renewTime +
 * leaseDuration has passed; every write carries the Lease's resourceVersion, so two candidates
 * racing for an expired Lease cannot both win (the loser gets 409). A leader that fails to renew
 * before its lease runs out stops leading (onStoppedLeading) rather than risk two actors. On a
 * graceful stop the leader releases the Lease so a standby takes over without waiting.
 */
import { type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from '@parley/kit';
import { apiStatus, type Kube } from './kube-client.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
}

export class LeaderElector {
  readonly #kube: Kube;
  readonly #options: LeaderElectionOptions;
  readonly #logger: Logger;
  #leading = false;
  #lastRenew = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #tick: Promise<void> = Promise.resolve();

  constructor(kube: Kube, options: LeaderElectionOptions, logger: Logger) {
    this.#kube = kube;
    this.#options = options;
    this.#logger = logger.child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(callbacks: LeaderCallbacks): void {
    const loop = async () => {
      if (this.#stopped) return;
      this.#tick = this.#attempt(callbacks);
      await this.#tick;
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#options.retryPeriodMs);
    };
    void loop();
  }

  async #attempt(callbacks: LeaderCallbacks): Promise<void> {
    try {
      const acquired = await this.#tryAcquireOrRenew();
      if (acquired) {
        this.#lastRenew = Date.now();
        if (!this.#leading) {
          this.#leading = true;
          this.#logger.info('became leader');
          await callbacks.onStartedLeading();
        }
        return;
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not acquire or renew the lease');
    }
    if (this.#leading && Date.now() - this.#lastRenew > this.#options.renewDeadlineMs) {
      this.#leading = false;
      this.#logger.error('lost leadership: lease not renewed before the deadline');
      await callbacks.onStoppedLeading();
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.#options;
    const leaseDurationSeconds = Math.ceil(this.#options.leaseDurationMs / 1000);
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await this.#kube.coordination.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (apiStatus(error) !== 404) throw error;
      try {
        await this.#kube.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (createError) {
        if (apiStatus(createError) === 409) return false; // another candidate created it first
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewedAt = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < Date.now();
    if (holder !== identity && holder !== '' && !expired) return false;
    const takingOver = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      acquireTime: takingOver ? now : spec.acquireTime ? new V1MicroTime(spec.acquireTime) : now,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
    };
    try {
      await this.#kube.coordination.replaceNamespacedLease({ namespace, name, body: lease });
      return true;
    } catch (error) {
      if (apiStatus(error) === 409) return false; // someone else wrote it between our read and write
      throw error;
    }
  }

  /** Stops campaigning; a leader releases the Lease so a standby can take over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#tick;
    if (!this.#leading) return;
    this.#leading = false;
    const { namespace, name } = this.#options;
    try {
      const lease = await this.#kube.coordination.readNamespacedLease({ namespace, name });
      if (lease.spec?.holderIdentity === this.#options.identity) {
        lease.spec = {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: new V1MicroTime(Date.now() - 2000),
        };
        await this.#kube.coordination.replaceNamespacedLease({ namespace, name, body: lease });
      }
      this.#logger.info('released the lease');
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not release the lease; a standby takes over when it expires');
    }
  }
}
