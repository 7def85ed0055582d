/**
 * The controller manager: campaigns for the leader Lease and runs its controllers only while it
 * leads, so two replicas never both act. Losing the lease stops the controllers at once and tells
 * main.ts (which exits, as controller-runtime does, to start clean as a standby). stop() is the
 * graceful path: controllers drain their in-flight reconciles, then the Lease is released.
 */
import type { Logger, Stoppable } from '@parley/kit';
import { Controller, type ControllerOptions, type Reconciler } from './controller.ts';
import type { Kube } from './kube-client.ts';
import { type LeaderElectionOptions, LeaderElector } from './leader-election.ts';
import type { OperatorMetrics } from './metrics.ts';

export interface ManagerOptions {
  kube: Kube;
  logger: Logger;
  metrics: OperatorMetrics;
  reconcilers: Reconciler[];
  controller: ControllerOptions;
  /** Without it the manager acts at once (a single process: tests, the benchmark). */
  leaderElection?: LeaderElectionOptions;
  onLostLeadership?: () => void;
}

export class Manager implements Stoppable {
  readonly name = 'operator-manager';
  readonly #options: ManagerOptions;
  readonly #controllers: Controller[];
  readonly #elector: LeaderElector | undefined;
  #running = false;

  constructor(options: ManagerOptions) {
    this.#options = options;
    this.#controllers = options.reconcilers.map(
      (reconciler) =>
        new Controller(options.kube, reconciler, options.controller, options.logger, options.metrics),
    );
    this.#elector = options.leaderElection
      ? new LeaderElector(options.kube, options.leaderElection, options.logger)
      : undefined;
  }

  get isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader : this.#running;
  }

  get controllers(): readonly Controller[] {
    return this.#controllers;
  }

  async start(): Promise<void> {
    if (!this.#elector) {
      await this.#startControllers();
      return;
    }
    this.#elector.start({
      onStartedLeading: () => this.#startControllers(),
      onStoppedLeading: async () => {
        this.#options.metrics.isLeader.set(0);
        await this.#stopControllers();
        this.#options.onLostLeadership?.();
      },
    });
  }

  async #startControllers(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#options.metrics.isLeader.set(1);
    for (const controller of this.#controllers) await controller.start();
  }

  async #stopControllers(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(this.#controllers.map((c) => c.stop()));
  }

  async stop(): Promise<void> {
    await this.#stopControllers();
    await this.#elector?.stop();
    this.#options.metrics.isLeader.set(0);
  }
}
