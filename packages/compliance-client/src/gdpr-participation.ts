/**
 * A service's GDPR participation as one kit worker: the GdprParticipant (registration, then the
 * requests on every tenant's gdpr topic) started without making the service's own start depend on
 * the compliance service. Logins and sending must work while compliance is down, so registration
 * and the consumer are retried in the background until they succeed; requests wait on the topic
 * meanwhile (the job shows the participant as pending). Every participant (auth, messaging) wires
 * its GdprParticipant over a `GdprParticipationWiring` and lists `new GdprParticipation(it)`
 * among its workers.
 */
import type { Logger, Worker } from '@parley/kit';
import type { GdprParticipant, GdprParticipantOptions } from './gdpr-participant.ts';

/** What is retried: a GdprParticipant (its start registers, then consumes). */
export type StartableParticipant = Pick<GdprParticipant, 'name' | 'start' | 'stop'>;

export class GdprParticipation implements Worker {
  readonly name: string;
  readonly participant: StartableParticipant;
  readonly #logger: Logger;
  readonly #retryMs: number;
  #stopped = false;
  #starting: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(participant: StartableParticipant, logger: Logger, retryMs = 5000) {
    this.participant = participant;
    this.name = `${participant.name} (retried)`;
    this.#logger = logger;
    this.#retryMs = retryMs;
  }

  start(): void {
    this.#starting ??= this.#keepStarting();
  }

  /** Resolves once registered and consuming (tests), or once stopped. */
  started(): Promise<void> {
    return this.#starting ?? Promise.resolve();
  }

  async #keepStarting(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.participant.start();
        this.#logger.info('gdpr participant registered and consuming');
        return;
      } catch (error) {
        this.#logger.warn({ err: error }, 'gdpr participant could not start yet; retrying');
        await this.participant.stop().catch(() => {});
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, this.#retryMs).unref();
        });
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#starting;
    await this.participant.stop();
  }
}

/**
 * The wiring every participant passes through unchanged (broker, compliance client, logger, a
 * test's own group and topic pattern); the participant's own code adds its name, description,
 * holds and handlers.
 */
export type GdprParticipationWiring = Pick<
  GdprParticipantOptions,
  'kafka' | 'producer' | 'client' | 'logger' | 'groupId' | 'pattern' | 'refreshMs'
>;
