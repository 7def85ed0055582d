/**
 * Which keys the KafkaTopics step corrects (the real broker round trip is in
 * test/tenant-provisioning.test.ts): the messages topic's retention.ms is left to a RetentionPolicy.
 */
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../api/resources.ts';
import { desiredTenant } from '../desired-state.ts';
import { managedTopicConfig, topicConfigDrift } from './topic-config-drift.ts';

function sampleTenant(): Tenant {
  return {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'acme-corp', namespace: 'parley', generation: 1, uid: 'u1' },
    spec: { displayName: 'Acme', plan: 'team' },
  };
}

describe('managedTopicConfig', () => {
  const topics = desiredTenant(sampleTenant()).kafka.topics;
  const of = (stream: string) => {
    const topic = topics.find((t) => t.stream === stream);
    if (!topic) throw new Error(`no ${stream} topic`);
    return managedTopicConfig(topic);
  };

  it("leaves the messages topic's retention.ms to a RetentionPolicy and manages its compaction keys", () => {
    const messages = of('messages');
    expect(messages).not.toHaveProperty('retention.ms');
    expect(messages['cleanup.policy']).toBe('compact,delete');
    expect(messages).toHaveProperty('max.compaction.lag.ms');
    expect(messages).toHaveProperty('segment.ms');
    expect(messages).toHaveProperty('delete.retention.ms');
  });

  it('manages retention.ms of the streams no policy touches', () => {
    expect(of('audit')['retention.ms']).toBe(String(30 * 24 * 3600_000));
  });
});

describe('topicConfigDrift', () => {
  it('reports only the managed keys that differ, list values compared as sets', () => {
    const drift = topicConfigDrift(
      { 'cleanup.policy': 'compact,delete', 'segment.ms': '1800000' },
      new Map<string, string | null>([
        ['cleanup.policy', 'delete,compact'],
        ['segment.ms', '604800000'],
        ['min.cleanable.dirty.ratio', '0.3'],
      ]),
    );
    expect(drift).toEqual([{ key: 'segment.ms', actual: '604800000', wanted: '1800000' }]);
  });

  it('treats a key the broker did not report as drifted', () => {
    expect(topicConfigDrift({ 'cleanup.policy': 'delete' }, new Map())).toEqual([
      { key: 'cleanup.policy', actual: null, wanted: 'delete' },
    ]);
  });
});
