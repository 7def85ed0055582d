/**
 * Messaging's part in GDPR exports and erasures (the compliance service's protocol over each
 * tenant's `gdpr` topic, through @parley/compliance-client's GdprParticipant): the export lists
 * the person's conversations and messages (decrypted) and reactions; the erasure deletes or
 * anonymises their messages as GDPR_ERASURE_MODE says (domain/personal-data.ts). A hold on the
 * person or the tenant reports the erasure `blocked`; messages in held conversations are kept.
 */
import { type GdprClient, GdprParticipant } from '@parley/compliance-client';
import type { Logger, Worker } from '@parley/kit';
import { LegalHoldStore } from '@parley/retention';
import type { Kafka, Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import type { ErasureMode, PersonalData } from './domain/personal-data.ts';

export const GDPR_PARTICIPANT_NAME = 'messaging';

/** The conversations under an active legal hold, and the holds on the person (or the tenant). */
export async function holdsOf(mongo: MongoClient, tenant: string, userId: string) {
  const holds = await new LegalHoldStore(mongo, tenant).active();
  const conversations = new Set(
    holds.holds.flatMap((h) => (h.scope.kind === 'conversation' ? [h.scope.conversationId] : [])),
  );
  return { person: holds.coveringPerson(userId), conversations };
}

export function createGdprParticipation(options: {
  personalData: PersonalData;
  mongo: MongoClient;
  mode: ErasureMode;
  kafka: Kafka;
  producer: Producer;
  client: GdprClient;
  logger: Logger;
  groupId?: string;
  pattern?: RegExp;
  refreshMs?: number;
}): GdprParticipant {
  const { personalData, mongo } = options;
  return new GdprParticipant({
    name: GDPR_PARTICIPANT_NAME,
    description: 'conversations, memberships, messages and reactions (messaging service)',
    kafka: options.kafka,
    producer: options.producer,
    client: options.client,
    logger: options.logger,
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.pattern ? { pattern: options.pattern } : {}),
    ...(options.refreshMs ? { refreshMs: options.refreshMs } : {}),
    holdsOn: async (tenant, userId) => (await holdsOf(mongo, tenant, userId)).person.map((h) => h.id),
    handlers: {
      exportData: (tenant, userId) => personalData.export(tenant, userId),
      erase: async (tenant, userId) => {
        // Asked again right before erasing: a hold placed since holdsOn still stops it.
        const holds = await holdsOf(mongo, tenant, userId);
        if (holds.person.length > 0)
          throw new Error(`under legal hold: ${holds.person.map((h) => h.id).join(', ')}`);
        return personalData.erase(tenant, userId, options.mode, holds.conversations);
      },
    },
  });
}

/**
 * Starts the participant without making messaging's own start depend on the compliance service
 * (sending must work while compliance is down): registration and the consumer are retried until
 * they succeed; requests wait on the topic meanwhile.
 */
export class GdprParticipation implements Worker {
  readonly name = 'messaging-gdpr-participation';
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
