/**
 * Kafka topics: one per tenant stream, with partitions from the spec and per-stream config at
 * creation. A topic deleted by hand is recreated (and an Event says so); partitions follow the
 * spec upwards (the CRD refuses a decrease). Existing topics' configs are not reset here because
 * a RetentionPolicy owns retention.ms once it exists.
 */
import type { Admin } from 'kafkajs';
import type { TopicAdmin } from '../coalesced-topic-admin.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export class KafkaTopicsStep implements TenantStep {
  readonly name = 'KafkaTopics';
  readonly #admin: TopicAdmin;

  /** `admin` coalesces the calls of concurrent reconciles (CoalescedTopicAdmin). */
  constructor(admin: TopicAdmin) {
    this.#admin = admin;
  }

  async apply({ desired, event, facts }: TenantStepContext): Promise<StepOutcome> {
    const existing = await this.#admin.listTopics();
    const missing = desired.kafka.topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await this.#admin.createTopics(
        missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      );
      const hadAny = desired.kafka.topics.some((t) => existing.has(t.name));
      if (hadAny) {
        event(
          'Warning',
          'TopicsRecreated',
          `Recreated missing Kafka topics: ${missing.map((t) => t.name).join(', ')}`,
        );
      }
    }
    const present = desired.kafka.topics.filter((t) => existing.has(t.name));
    let grown = 0;
    if (present.length > 0) {
      const metadata = await this.#admin.fetchTopicMetadata(present.map((t) => t.name));
      const toGrow = present.filter((t) => {
        const found = metadata.find((m) => m.name === t.name);
        return found !== undefined && found.partitions.length < t.partitions;
      });
      if (toGrow.length > 0) {
        await this.#admin.createPartitions(toGrow.map((t) => ({ topic: t.name, count: t.partitions })));
        grown = toGrow.length;
        event(
          'Normal',
          'PartitionsIncreased',
          `Partitions of ${toGrow.length} topics raised to ${toGrow[0]?.partitions}`,
        );
      }
    }
    facts.topics = desired.kafka.topics.map((t) => t.name);
    const partitions = desired.kafka.topics[0]?.partitions ?? 0;
    return ready(
      'Provisioned',
      `${desired.kafka.topics.length} topics with ${partitions} partitions each (${missing.length} created, ${grown} grown)`,
    );
  }
}

/**
 * Deletes the tenant's topics except `keep`. Deletion keeps the lifecycle and keys streams: they
 * carry no content (only lifecycle and key-metadata events), and they are where the deletion
 * itself and the coming key destruction are announced; deleting them would strand those events.
 */
export async function deleteTenantTopics(
  admin: Admin,
  prefix: string,
  keep: readonly string[] = [],
): Promise<string[]> {
  const kept = new Set(keep.map((stream) => `${prefix}${stream}`));
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) && !kept.has(t));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  return topics;
}
