/**
 * The Kafka topic calls of the KafkaTopics step, coalesced across concurrent reconciles (see
 * group-commit.ts): one topic listing, one CreateTopics and one metadata request serve every
 * Tenant that asked while the previous one was in flight. A batch the broker refuses for some of
 * its topics is retried tenant by tenant, so one tenant's refusal stays its own.
 */
import type { Admin, ITopicConfig, ITopicMetadata } from 'kafkajs';
import { allOk, eachAlone, GroupCommit } from './group-commit.ts';

/** What the KafkaTopics step needs from Kafka. */
export interface TopicAdmin {
  listTopics(): Promise<ReadonlySet<string>>;
  /** Creates the topics and waits for their leaders; topics that already exist are fine. */
  createTopics(topics: ITopicConfig[]): Promise<void>;
  fetchTopicMetadata(topics: string[]): Promise<ITopicMetadata[]>;
  createPartitions(topicPartitions: { topic: string; count: number }[]): Promise<void>;
}

export class CoalescedTopicAdmin implements TopicAdmin {
  readonly #admin: Admin;
  readonly #list: GroupCommit<void, ReadonlySet<string>>;
  readonly #create: GroupCommit<ITopicConfig[], void>;
  readonly #metadata: GroupCommit<string[], ITopicMetadata[]>;

  constructor(admin: Admin) {
    this.#admin = admin;
    this.#list = new GroupCommit(async (items) => allOk(items.length, new Set(await admin.listTopics())));
    this.#create = new GroupCommit(async (batches) => {
      try {
        await this.#createNow(batches.flat());
        return allOk(batches.length, undefined);
      } catch (error) {
        if (batches.length === 1 || !isPerTopicError(error)) throw error;
        return eachAlone(batches, (topics) => this.#createNow(topics));
      }
    });
    this.#metadata = new GroupCommit(async (requests) => {
      const names = [...new Set(requests.flat())];
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        return requests.map((wanted) => ({
          ok: true as const,
          value: topics.filter((t) => wanted.includes(t.name)),
        }));
      } catch (error) {
        // An unknown topic (deleted by hand a moment ago) fails the whole request: ask alone.
        if (requests.length === 1) throw error;
        return eachAlone(
          requests,
          async (wanted) => (await admin.fetchTopicMetadata({ topics: wanted })).topics,
        );
      }
    });
  }

  listTopics(): Promise<ReadonlySet<string>> {
    return this.#list.submit();
  }

  createTopics(topics: ITopicConfig[]): Promise<void> {
    return this.#create.submit(topics);
  }

  fetchTopicMetadata(topics: string[]): Promise<ITopicMetadata[]> {
    return this.#metadata.submit(topics);
  }

  async createPartitions(topicPartitions: { topic: string; count: number }[]): Promise<void> {
    // Rare (a spec raising partitions): not worth coalescing.
    await this.#admin.createPartitions({ topicPartitions });
  }

  async #createNow(topics: ITopicConfig[]): Promise<void> {
    // One reconcile per Tenant at a time, but local provisioning may ask for the same topic too.
    const unique = [...new Map(topics.map((t) => [t.topic, t])).values()];
    await this.#admin.createTopics({ waitForLeaders: false, topics: unique });
    await this.#waitForLeaders(unique.map((t) => t.topic));
  }

  /**
   * kafkajs's own waitForLeaders retries only LEADER_NOT_AVAILABLE, but a broker whose metadata
   * cache has not yet caught up with the controller answers UNKNOWN_TOPIC_OR_PARTITION for a
   * topic created a moment ago (seen under load: ~1 in 10 tenants failed and waited a backoff).
   * Both mean "not yet" here.
   */
  async #waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + LEADER_WAIT_MS;
    for (;;) {
      try {
        const { topics: found } = await this.#admin.fetchTopicMetadata({ topics });
        const led = found.filter((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        if (led.length === topics.length) return;
      } catch (error) {
        if (!NOT_YET.has((error as { type?: string }).type ?? '')) throw error;
      }
      if (Date.now() > deadline)
        throw new Error(
          `Timed out after ${LEADER_WAIT_MS} ms waiting for the leaders of ${topics.length} new topics`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const LEADER_WAIT_MS = 15_000;
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** kafkajs reports per-topic refusals as an aggregate of errors that name their topic. */
function isPerTopicError(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] }).errors;
  return Array.isArray(errors) && errors.some((e) => typeof (e as { topic?: unknown }).topic === 'string');
}
