/**
 * retention.ms on the tenant's messages topic, from the tenant-wide messages rule: Kafka then
 * drops message events no older than the database keeps them. Incremental alter (only this key
 * changes; kafkajs' alterConfigs would reset every other config of the topic).
 */

import { kafkaTopic, type TenantStream } from '@parley/tenancy';
import { type Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import type { RetentionPolicySpec } from '../api/resources.ts';
import { parseAge } from '../schedule/schedule-times.ts';

/**
 * The topic configs a RetentionPolicy owns, per stream: the KafkaTopics step sets them only when
 * it creates the topic and leaves them to the policy afterwards (topic-config-drift.ts).
 */
export const RETENTION_POLICY_TOPIC_KEYS: Partial<Record<TenantStream, readonly string[]>> = {
  messages: ['retention.ms'],
};

/** The retention.ms a policy asks for on the messages topic, or undefined when it sets none. */
export function messagesTopicRetentionMs(spec: RetentionPolicySpec): number | undefined {
  const rule = spec.rules.find((r) => r.resource === 'messages' && !r.conversationSelector);
  return rule ? parseAge(rule.maxAge) : undefined;
}

export async function currentRetentionMs(admin: Admin, topic: string): Promise<number | undefined> {
  const [description] = await admin.describeConfigs({
    resources: [
      { resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] },
    ],
  });
  const value = description?.configs.find((c) => c.name === 'retention.ms')?.value;
  return value ? Number(value) : undefined;
}

export async function setTopicRetention(
  admin: Admin,
  tenant: string,
  retentionMs: number,
): Promise<{ topic: string; changed: boolean }> {
  const topic = kafkaTopic(tenant, 'messages'); // the stream of RETENTION_POLICY_TOPIC_KEYS
  if ((await currentRetentionMs(admin, topic)) === retentionMs) return { topic, changed: false };
  await admin.incrementalAlterConfigs({
    resources: [
      {
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configs: [
          {
            name: 'retention.ms',
            configOperation: IncrementalAlterConfigOperationTypes.SET,
            value: String(retentionMs),
          },
        ],
      },
    ],
  });
  return { topic, changed: true };
}
