/**
 * Destroys keys whose waiting period has ended, periodically. Several replicas may sweep at once:
 * destroyDueKeys is a conditional single-document write per key, so each key is destroyed once.
 */
import type { Keyring } from '@parley/keyring';
import { type Logger, PeriodicTask, type Stoppable } from '@parley/kit';

export class DestructionSweeper implements Stoppable {
  readonly name = 'destruction-sweeper';
  private readonly keyring: Keyring;
  private readonly logger: Logger;
  private readonly task: PeriodicTask<void>;

  constructor(options: { keyring: Keyring; logger: Logger; intervalMs: number }) {
    this.keyring = options.keyring;
    this.logger = options.logger;
    this.task = new PeriodicTask({
      name: this.name,
      intervalMs: options.intervalMs,
      logger: options.logger,
      run: () => this.sweep(),
    });
  }

  start(): void {
    this.task.start();
  }

  async sweep(now = new Date()): Promise<void> {
    try {
      const destroyed = await this.keyring.destroyDueKeys(now);
      for (const key of destroyed) {
        this.logger.info(
          { tenant: key.tenant, keyName: key.keyName },
          'key destroyed after its waiting period',
        );
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'destruction sweep failed; will retry');
    }
  }

  /** Stops the timer and waits for the sweep in flight. */
  stop(): Promise<void> {
    return this.task.stop();
  }
}
