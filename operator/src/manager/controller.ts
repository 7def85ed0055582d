/**
 * One controller per kind, controller-runtime style: a watch (informer) feeds keys into a work
 * queue; a bounded pool of workers takes keys and calls the reconciler, which reads the world
 * by itself (level-based: the event that queued the key is not passed on). The outcome decides
 * what happens next: success forgets the key's backoff, `requeueAfterMs` schedules the next look
 * (schedules, polling), an error requeues with exponential backoff. A periodic resync queues
 * every known object so drift made outside Kubernetes (a topic deleted by hand) is corrected.
 */
import { type KubernetesObject, makeInformer } from '@kubernetes/client-node';
import type { Logger } from '@parley/kit';
import { GROUP, type KindInfo, VERSION } from '../api/resources.ts';
import { type BackoffOptions, PerKeyBackoff } from './backoff.ts';
import type { Kube } from './kube-client.ts';
import type { OperatorMetrics } from './metrics.ts';
import { WorkQueue } from './work-queue.ts';

export interface ObjectKey {
  namespace: string;
  name: string;
}

export interface ReconcileResult {
  /** Look again after this long even if nothing changes (schedules). */
  requeueAfterMs?: number;
}

/** What a reconcile may tell its controller. */
export interface ReconcileContext {
  /**
   * Called just before the reconciler writes `object` (as it will be after the write) and carries
   * on with it in the same reconcile: the watch event of that write is then no reason to reconcile
   * again. Only for writes of the fields that trigger a reconcile (finalizers); a write that fails
   * leaves a stale mark, which the failed reconcile's retry makes harmless.
   */
  expectOwnWrite(object: KubernetesObject): void;
}

export interface Reconciler {
  kind: KindInfo;
  reconcile(key: ObjectKey, context?: ReconcileContext): Promise<ReconcileResult>;
}

export interface ControllerOptions {
  concurrency: number;
  resyncMs: number;
  /** Each controller's own per-key backoff (default 0.5 s doubling to 5 min). */
  backoff?: BackoffOptions;
  /** How long to wait before restarting a watch that failed. */
  watchRestartMs?: number;
  /** Watch one namespace only (a namespace-scoped install, or tests side by side); all when unset. */
  namespace?: string;
}

export function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

function parseKey(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * What a watch event must change to be worth a reconcile: spec (generation), annotations
 * (force-rotate), finalizers and deletion. Status-only updates, mostly our own writes, are not.
 */
function triggerFingerprint(object: KubernetesObject): string {
  const m = object.metadata ?? {};
  return JSON.stringify([m.generation, m.annotations ?? {}, m.finalizers ?? [], m.deletionTimestamp ?? null]);
}

export class Controller {
  readonly #kube: Kube;
  readonly #reconciler: Reconciler;
  readonly #options: ControllerOptions;
  readonly #logger: Logger;
  readonly #metrics: OperatorMetrics;
  readonly #queue = new WorkQueue();
  readonly #backoff: PerKeyBackoff;
  readonly #seen = new Map<string, string>();
  #informer: ReturnType<typeof makeInformer<KubernetesObject>> | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #workers: Promise<void>[] = [];
  #stopped = false;

  constructor(
    kube: Kube,
    reconciler: Reconciler,
    options: ControllerOptions,
    logger: Logger,
    metrics: OperatorMetrics,
  ) {
    this.#kube = kube;
    this.#reconciler = reconciler;
    this.#options = options;
    this.#logger = logger.child({ controller: reconciler.kind.kind });
    this.#metrics = metrics;
    this.#backoff = new PerKeyBackoff(options.backoff);
  }

  get kind(): string {
    return this.#reconciler.kind.kind;
  }

  async start(): Promise<void> {
    const { plural } = this.#reconciler.kind;
    const namespace = this.#options.namespace;
    type List = { items: KubernetesObject[]; metadata?: { resourceVersion?: string } };
    const informer = makeInformer<KubernetesObject>(
      this.#kube.config,
      namespace
        ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`
        : `/apis/${GROUP}/${VERSION}/${plural}`,
      async () =>
        (namespace
          ? await this.#kube.custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace,
              plural,
            })
          : await this.#kube.custom.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural,
            })) as List,
    );
    informer.on('add', (object) => this.#onChange(object));
    informer.on('update', (object) => this.#onChange(object));
    informer.on('delete', (object) => {
      const key = objectKey(object);
      this.#seen.delete(key);
      this.#queue.add(key);
    });
    informer.on('error', (error) => {
      if (this.#stopped) return;
      this.#logger.warn({ err: error }, 'watch failed; restarting');
      setTimeout(() => {
        if (!this.#stopped)
          informer.start().catch((e) => this.#logger.error({ err: e }, 'watch restart failed'));
      }, this.#options.watchRestartMs ?? 2_000).unref();
    });
    this.#informer = informer;
    await informer.start();
    this.#resyncTimer = setInterval(() => this.#resync(), this.#options.resyncMs);
    this.#resyncTimer.unref();
    for (let i = 0; i < this.#options.concurrency; i += 1) this.#workers.push(this.#work());
    this.#logger.info(
      { concurrency: this.#options.concurrency, resyncMs: this.#options.resyncMs },
      'controller started',
    );
  }

  /** Queues a key directly (tests, and reconcilers that affect other objects). */
  enqueue(key: ObjectKey): void {
    this.#queue.add(`${key.namespace}/${key.name}`);
  }

  /**
   * Queues every watched object the predicate accepts: how something outside Kubernetes (a Kafka
   * event) wakes the objects it concerns. Nothing happens while this controller is not running
   * (a standby replica has no informer cache; the leader's resync covers it).
   */
  enqueueMatching(predicate: (object: KubernetesObject) => boolean): number {
    let queued = 0;
    for (const object of this.#informer?.list() ?? []) {
      if (!predicate(object)) continue;
      this.#queue.add(objectKey(object));
      queued += 1;
    }
    return queued;
  }

  /**
   * Retries a key now, with its backoff forgotten, if it waits on a backoff due more than
   * `ifLaterThanMs` from now (store-recovery.ts: the store it failed on answers again); true if so.
   */
  retrySooner(key: ObjectKey, ifLaterThanMs: number): boolean {
    const k = `${key.namespace}/${key.name}`;
    if (!this.#queue.expedite(k, ifLaterThanMs)) return false;
    this.#backoff.forget(k);
    return true;
  }

  /** The watched objects as the informer last saw them (none while this controller is not running). */
  objects(): readonly KubernetesObject[] {
    return this.#informer?.list() ?? [];
  }

  #onChange(object: KubernetesObject): void {
    const key = objectKey(object);
    const fingerprint = triggerFingerprint(object);
    if (this.#seen.get(key) === fingerprint) return;
    this.#seen.set(key, fingerprint);
    this.#queue.add(key);
  }

  #resync(): void {
    for (const object of this.#informer?.list() ?? []) this.#queue.add(objectKey(object));
  }

  async #work(): Promise<void> {
    const kind = this.#reconciler.kind.kind;
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      this.#metrics.queueDepth.set({ kind }, this.#queue.depth);
      this.#metrics.inFlight.set({ kind }, this.#queue.inFlight);
      const endTimer = this.#metrics.reconcileDuration.startTimer({ kind });
      try {
        const result = await this.#reconciler.reconcile(parseKey(key), {
          expectOwnWrite: (object) => this.#seen.set(key, triggerFingerprint(object)),
        });
        this.#backoff.forget(key);
        if (result.requeueAfterMs !== undefined) this.#queue.addAfter(key, result.requeueAfterMs);
        this.#metrics.reconciles.inc({
          kind,
          result: result.requeueAfterMs !== undefined ? 'requeue' : 'success',
        });
      } catch (error) {
        const delayMs = this.#backoff.next(key);
        this.#metrics.reconciles.inc({ kind, result: 'error' });
        this.#metrics.reconcileErrors.inc({ kind });
        this.#logger.warn({ err: error, key, retryInMs: delayMs }, 'reconcile failed; retrying with backoff');
        this.#queue.addAfter(key, delayMs);
      } finally {
        endTimer();
        this.#queue.done(key);
        this.#metrics.inFlight.set({ kind }, this.#queue.inFlight);
        this.#metrics.queueDepth.set({ kind }, this.#queue.depth);
      }
    }
  }

  /** Stops watching and taking keys; waits for reconciles in flight to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    await this.#informer?.stop().catch(() => {});
    this.#queue.shutDown();
    await Promise.all(this.#workers);
    this.#logger.info('controller stopped');
  }
}
