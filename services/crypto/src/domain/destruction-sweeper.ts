/**
 * Destroys keys whose waiting period has ended, periodically. Several replicas may sweep at once:
 * destroyDueKeys is a conditional single-document write per key, so each key is destroyed once.
 */
import type { Keyring } from '@parley/keyring';
import type { Logger, Stoppable } from '@parley/kit';

export class DestructionSweeper implements Stoppable {
  readonly name = 'destruction-sweeper';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly keyring: Keyring;
  private readonly logger: Logger;
  private readonly intervalMs: number;

  constructor(options: { keyring: Keyring; logger: Logger; intervalMs: number }) {
    this.keyring = options.keyring;
    this.logger = options.logger;
    this.intervalMs = options.intervalMs;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
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

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
