/**
 * Kafka topics: one per tenant stream, with partitions from the spec and per-stream config. A
 * topic deleted by hand is recreated (and an Event says so); partitions follow the spec upwards
 * (the CRD refuses a decrease). Config is level-based too: every reconcile reads the existing
 * topics' managed keys (one DescribeConfigs for the tenant's topics) and sets back the ones that
 * drifted, incrementally, so keys Parley does not manage stay. A RetentionPolicy owns the
 * messages topic's retention.ms once the topic exists (topic-config-drift.ts): that key is only
 * set at creation. This is how tenants provisioned before a config change (the messages topic
 * becoming compact,delete) get it.
 */
import type { Admin, ITopicMetadata } from 'kafkajs';
import { isTrue } from '../../api/conditions.ts';
import type { Tenant } from '../../api/resources.ts';
import type { TopicAdmin } from '../coalesced-topic-admin.ts';
import type { TopicSpec } from '../desired-state.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';
import { type ConfigDrift, managedTopicConfig, topicConfigDrift } from './topic-config-drift.ts';

export class KafkaTopicsStep implements TenantStep {
  readonly name = 'KafkaTopics';
  readonly #admin: TopicAdmin;

  /** `admin` coalesces the calls of concurrent reconciles (CoalescedTopicAdmin). */
  constructor(admin: TopicAdmin) {
    this.#admin = admin;
  }

  async apply({ tenant, desired, event, facts }: TenantStepContext): Promise<StepOutcome> {
    const { existing, metadata: known } = await this.#existing(tenant, desired.kafka.topics);
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
      const metadata = known ?? (await this.#admin.fetchTopicMetadata(present.map((t) => t.name)));
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
    const corrected = await this.#correctConfigs(present);
    if (corrected.length > 0) {
      event('Warning', 'TopicConfigCorrected', `Reset drifted topic configs: ${describeDrift(corrected)}`);
    }
    facts.topics = desired.kafka.topics.map((t) => t.name);
    const partitions = desired.kafka.topics[0]?.partitions ?? 0;
    const configNote =
      corrected.length > 0 ? `, configs corrected on ${corrected.length}: ${describeDrift(corrected)}` : '';
    return ready(
      'Provisioned',
      `${desired.kafka.topics.length} topics with ${partitions} partitions each (${missing.length} created, ${grown} grown${configNote})`,
    );
  }

  /**
   * Which of the tenant's topics exist. A tenant whose KafkaTopics condition says it has them asks
   * for their own metadata (one request for every concurrent reconcile, whatever the cluster's
   * size), which fails if one is gone; a new tenant, or one whose topic is gone, reads the listing
   * of every topic. That listing is what every reconcile read before: at 8,000 topics it costs the
   * broker ~55 ms and this process ~16 ms, and in a resync of 1,000 settled tenants it was most of
   * Kafka's 67 CPU-s (operator/README.md, "1,000 tenants").
   */
  async #existing(
    tenant: Tenant,
    topics: readonly TopicSpec[],
  ): Promise<{ existing: ReadonlySet<string>; metadata?: ITopicMetadata[] }> {
    if (isTrue(tenant.status?.conditions, this.name)) {
      const names = topics.map((t) => t.name);
      const metadata = await this.#admin.fetchTopicMetadata(names).catch(() => undefined);
      if (metadata && names.every((name) => metadata.some((m) => m.name === name)))
        return { existing: new Set(names), metadata };
    }
    return { existing: await this.#admin.listTopics() };
  }

  /** Sets back the managed keys that drifted on topics that already existed; returns what changed. */
  async #correctConfigs(present: TopicSpec[]): Promise<{ topic: string; drift: ConfigDrift[] }[]> {
    if (present.length === 0) return [];
    const wanted = new Map(present.map((t) => [t.name, managedTopicConfig(t)]));
    const actual = await this.#admin.describeTopicConfigs({
      topics: present.map((t) => t.name),
      keys: [...new Set([...wanted.values()].flatMap((c) => Object.keys(c)))],
    });
    const drifted = [...wanted]
      // A topic missing from the answer was deleted since the listing: the next reconcile recreates it.
      .filter(([topic]) => actual.has(topic))
      .map(([topic, config]) => ({ topic, drift: topicConfigDrift(config, actual.get(topic) ?? new Map()) }))
      .filter((t) => t.drift.length > 0);
    await this.#admin.setTopicConfigs(
      drifted.map(({ topic, drift }) => ({
        topic,
        configs: Object.fromEntries(drift.map((d) => [d.key, d.wanted])),
      })),
    );
    return drifted;
  }
}

function describeDrift(corrected: { topic: string; drift: ConfigDrift[] }[]): string {
  return corrected
    .map(({ topic, drift }) => `${topic} ${drift.map((d) => `${d.key}=${d.actual}->${d.wanted}`).join(' ')}`)
    .join('; ');
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
