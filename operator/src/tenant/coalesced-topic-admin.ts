/**
 * The Kafka topic calls of the KafkaTopics step, coalesced across concurrent reconciles (see
 * group-commit.ts): one topic listing, one CreateTopics and one metadata request serve every
 * Tenant that asked while the previous one was in flight. A batch the broker refuses for some of
 * its topics is retried tenant by tenant, so one tenant's refusal stays its own. Topic configs go
 * through @platformatic/kafka: one DescribeConfigs for every asking tenant's topics, and
 * IncrementalAlterConfigs to correct drift (kafkajs only has the legacy AlterConfigs, which
 * replaces a topic's whole dynamic config set and would wipe keys set by others).
 */
import {
  ConfigResourceTypes,
  IncrementalAlterConfigOperationTypes,
  type Admin as PlatformaticAdmin,
} from '@platformatic/kafka';
import type { Admin, ITopicConfig, ITopicMetadata } from 'kafkajs';
import { allOk, eachAlone, GroupCommit } from './group-commit.ts';

/** What the KafkaTopics step needs from Kafka. */
export interface TopicAdmin {
  listTopics(): Promise<ReadonlySet<string>>;
  /** Creates the topics and waits for their leaders; topics that already exist are fine. */
  createTopics(topics: ITopicConfig[]): Promise<void>;
  fetchTopicMetadata(topics: string[]): Promise<ITopicMetadata[]>;
  createPartitions(topicPartitions: { topic: string; count: number }[]): Promise<void>;
  /** The current values of `keys` on each topic (topic name -> key -> value). */
  describeTopicConfigs(request: TopicConfigRequest): Promise<TopicConfigs>;
  /** Sets exactly these keys (incrementally: other keys of the topics stay as they are). */
  setTopicConfigs(changes: { topic: string; configs: Record<string, string> }[]): Promise<void>;
}

export interface TopicConfigRequest {
  topics: string[];
  keys: string[];
}

export type TopicConfigs = ReadonlyMap<string, ReadonlyMap<string, string | null>>;

export class CoalescedTopicAdmin implements TopicAdmin {
  readonly #admin: Admin;
  readonly #list: GroupCommit<void, ReadonlySet<string>>;
  readonly #create: GroupCommit<ITopicConfig[], void>;
  readonly #metadata: GroupCommit<string[], ITopicMetadata[]>;
  readonly #platformatic: PlatformaticAdmin;
  readonly #configs: GroupCommit<TopicConfigRequest, TopicConfigs>;

  constructor(admin: Admin, platformatic: PlatformaticAdmin) {
    this.#admin = admin;
    this.#platformatic = platformatic;
    this.#configs = new GroupCommit(async (requests) => {
      try {
        const all = await this.#describeNow({
          topics: requests.flatMap((r) => r.topics),
          keys: requests.flatMap((r) => r.keys),
        });
        return requests.map((r) => ({
          ok: true as const,
          value: new Map(r.topics.flatMap((t) => (all.has(t) ? [[t, all.get(t) ?? new Map()]] : []))),
        }));
      } catch (error) {
        // One tenant's topic deleted a moment ago fails the whole request: ask alone.
        if (requests.length === 1) throw error;
        return eachAlone(requests, (r) => this.#describeNow(r));
      }
    });
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

  describeTopicConfigs(request: TopicConfigRequest): Promise<TopicConfigs> {
    return this.#configs.submit(request);
  }

  async setTopicConfigs(changes: { topic: string; configs: Record<string, string> }[]): Promise<void> {
    // Only on drift (rare): not worth coalescing.
    if (changes.length === 0) return;
    await this.#platformatic.incrementalAlterConfigs({
      resources: changes.map(({ topic, configs }) => ({
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configs: Object.entries(configs).map(([name, value]) => ({
          name,
          configOperation: IncrementalAlterConfigOperationTypes.SET,
          value,
        })),
      })),
    });
  }

  async #describeNow({ topics, keys }: TopicConfigRequest): Promise<TopicConfigs> {
    const configurationKeys = [...new Set(keys)];
    const descriptions = await this.#platformatic.describeConfigs({
      resources: [...new Set(topics)].map((topic) => ({
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configurationKeys,
      })),
    });
    return new Map(
      descriptions.map((d) => [d.resourceName, new Map(d.configs.map((c) => [c.name, c.value ?? null]))]),
    );
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
