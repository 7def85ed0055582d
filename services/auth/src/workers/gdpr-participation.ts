/**
 * The auth service's part in GDPR exports and erasures (the compliance service's protocol over
 * each tenant's `gdpr` topic, through @parley/compliance-client's GdprParticipant): export is
 * everything auth holds about the person (never a secret), erasure anonymises the account and
 * removes sessions, refresh-token families, MFA secrets and recovery codes. A person or tenant
 * under a legal hold is reported `blocked` and the refusal is audited here as well.
 */
import { type GdprClient, GdprParticipant } from '@parley/compliance-client';
import type { Logger, Stoppable } from '@parley/kit';
import type { Kafka, Producer } from 'kafkajs';
import type { AuthComponents } from '../components.ts';
import { legalHoldProblem } from '../domain/user-deletion.ts';

export const GDPR_PARTICIPANT_NAME = 'auth';

/** GDPR erasures are requested through the compliance service: auth records it as the actor. */
const COMPLIANCE_ACTOR = { type: 'service', id: 'compliance' } as const;

export function createGdprParticipation(options: {
  components: AuthComponents;
  kafka: Kafka;
  producer: Producer;
  client: GdprClient;
  logger: Logger;
  /** Tests: their own consumer group and tenant's topic only. */
  groupId?: string;
  pattern?: RegExp;
  refreshMs?: number;
}): GdprParticipant {
  const { components } = options;
  return new GdprParticipant({
    name: GDPR_PARTICIPANT_NAME,
    description: 'accounts, roles, status, sessions, MFA enrolment (auth service)',
    kafka: options.kafka,
    producer: options.producer,
    client: options.client,
    logger: options.logger,
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.pattern ? { pattern: options.pattern } : {}),
    ...(options.refreshMs ? { refreshMs: options.refreshMs } : {}),
    holdsOn: async (tenant, userId) => {
      const c = await components.store.forTenant(tenant);
      const holds = await components.deletion.refusalFor(c, userId, COMPLIANCE_ACTOR, 'gdpr-erasure', {});
      return holds.map((h) => h.id);
    },
    handlers: {
      exportData: async (tenant, userId) =>
        components.personalData.export(await components.store.forTenant(tenant), userId),
      erase: async (tenant, userId) => {
        const c = await components.store.forTenant(tenant);
        // Asked again right before deleting: a hold placed since holdsOn still stops it.
        const holds = await components.deletion.holdsOn(tenant, userId);
        if (holds.length > 0) throw legalHoldProblem(userId, holds);
        return components.personalData.erase(c, userId, COMPLIANCE_ACTOR, 'gdpr-erasure');
      },
    },
  });
}

/**
 * Starts the participant without making auth's own start depend on the compliance service:
 * logins must work while compliance is down. Registration and the consumer are retried until
 * they succeed (requests wait on the topic meanwhile, and the job shows auth as pending).
 */
export class GdprParticipation implements Stoppable {
  readonly name = 'gdpr participation';
  readonly #participant: GdprParticipant;
  readonly #logger: Logger;
  readonly #retryMs: number;
  #stopped = false;
  #starting: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(participant: GdprParticipant, logger: Logger, retryMs = 5000) {
    this.#participant = participant;
    this.#logger = logger;
    this.#retryMs = retryMs;
  }

  start(): void {
    this.#starting ??= this.#keepStarting();
  }

  async #keepStarting(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#participant.start();
        this.#logger.info('gdpr participant registered and consuming');
        return;
      } catch (error) {
        this.#logger.warn({ err: error }, 'gdpr participant could not start yet; retrying');
        await this.#participant.stop().catch(() => {});
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
    await this.#participant.stop();
  }
}
