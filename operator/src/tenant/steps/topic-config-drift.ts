/**
 * Which topic configs the KafkaTopics step keeps level-based, and how far a topic has drifted
 * from them. The step manages the keys desired-state.ts sets per stream, except the ones a
 * RetentionPolicy owns once the topic exists (topic-retention.ts): the topic is created with the
 * default, and from then on the policy's value stands. Keys Parley does not set are not ours and
 * are never touched.
 */
import { RETENTION_POLICY_TOPIC_KEYS } from '../../retention-policy/topic-retention.ts';
import type { TopicSpec } from '../desired-state.ts';

/** The keys (and values) the step corrects on an existing topic. */
export function managedTopicConfig(topic: TopicSpec): Record<string, string> {
  const owned = new Set(RETENTION_POLICY_TOPIC_KEYS[topic.stream] ?? []);
  return Object.fromEntries(Object.entries(topic.config).filter(([key]) => !owned.has(key)));
}

export interface ConfigDrift {
  key: string;
  /** What the broker reported (null: no value). */
  actual: string | null;
  wanted: string;
}

/** The managed keys whose current value differs from the wanted one. */
export function topicConfigDrift(
  wanted: Record<string, string>,
  actual: ReadonlyMap<string, string | null>,
): ConfigDrift[] {
  return Object.entries(wanted)
    .filter(([key, value]) => normalise(actual.get(key) ?? null) !== normalise(value))
    .map(([key, value]) => ({ key, actual: actual.get(key) ?? null, wanted: value }));
}

/** List values (cleanup.policy=compact,delete) compare as sets: the broker may reorder them. */
function normalise(value: string | null): string | null {
  if (value === null) return null;
  return value
    .split(',')
    .map((part) => part.trim())
    .sort()
    .join(',');
}
