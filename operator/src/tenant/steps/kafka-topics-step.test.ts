/**
 * Which calls the KafkaTopics step makes: a tenant whose condition says it has its topics asks
 * for their own metadata and never lists the cluster's topics (at 8,000 topics that listing was
 * most of Kafka's CPU in a resync of 1,000 tenants); a new tenant, or one whose topic is gone,
 * lists, and the missing topic is created. A fake TopicAdmin that records the calls (the real
 * broker's behaviour is tenant-provisioning.test.ts's).
 */
import type { ITopicConfig, ITopicMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../api/resources.ts';
import type { TopicAdmin, TopicConfigRequest, TopicConfigs } from '../coalesced-topic-admin.ts';
import { desiredTenant } from '../desired-state.ts';
import type { TenantStepContext } from '../step.ts';
import { KafkaTopicsStep } from './kafka-topics-step.ts';

class RecordingTopicAdmin implements TopicAdmin {
  readonly calls: string[] = [];
  readonly topics: Set<string>;
  constructor(topics: Set<string>) {
    this.topics = topics;
  }
  async listTopics() {
    this.calls.push('listTopics');
    return new Set(this.topics);
  }
  async createTopics(topics: ITopicConfig[]) {
    this.calls.push(`createTopics ${topics.map((t) => t.topic).join(',')}`);
    for (const t of topics) this.topics.add(t.topic);
  }
  async fetchTopicMetadata(topics: string[]): Promise<ITopicMetadata[]> {
    this.calls.push('fetchTopicMetadata');
    const unknown = topics.find((t) => !this.topics.has(t));
    if (unknown) throw new Error(`This server does not host this topic-partition: ${unknown}`);
    return topics.map((name) => ({
      name,
      partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }],
    }));
  }
  async createPartitions() {
    this.calls.push('createPartitions');
  }
  async describeTopicConfigs(request: TopicConfigRequest): Promise<TopicConfigs> {
    this.calls.push('describeTopicConfigs');
    return new Map(request.topics.map((t) => [t, new Map()]));
  }
  async setTopicConfigs() {
    this.calls.push('setTopicConfigs');
  }
}

function tenant(kafkaTopicsTrue: boolean): Tenant {
  return {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'acme', namespace: 'parley', uid: 'u', generation: 1 },
    spec: { displayName: 'Acme', plan: 'free', kafka: { partitions: 1, replicationFactor: 1 } },
    status: kafkaTopicsTrue
      ? {
          conditions: [
            {
              type: 'KafkaTopics',
              status: 'True',
              reason: 'Provisioned',
              message: '',
              lastTransitionTime: '2026-12-04T00:00:00Z',
            },
          ],
        }
      : {},
  } as unknown as Tenant;
}

async function apply(admin: RecordingTopicAdmin, t: Tenant) {
  const events: string[] = [];
  const outcome = await new KafkaTopicsStep(admin).apply({
    tenant: t,
    desired: desiredTenant(t),
    facts: {},
    event: (_type: string, reason: string) => events.push(reason),
  } as unknown as TenantStepContext);
  return { outcome, events };
}

const names = (t: Tenant) => desiredTenant(t).kafka.topics.map((topic) => topic.name);

describe('KafkaTopicsStep', () => {
  it('a tenant that has its topics asks for their metadata only, never the listing of every topic', async () => {
    const settled = tenant(true);
    const admin = new RecordingTopicAdmin(new Set([...names(settled), 'parley.other.messages']));
    const { outcome } = await apply(admin, settled);
    expect(outcome.status).toBe('True');
    // (The fake holds no configs, so the managed ones are set: the config drift path.)
    expect(admin.calls).toEqual(['fetchTopicMetadata', 'describeTopicConfigs', 'setTopicConfigs']);
  });

  it('a new tenant lists the topics and creates its own', async () => {
    const fresh = tenant(false);
    const admin = new RecordingTopicAdmin(new Set());
    const { outcome } = await apply(admin, fresh);
    expect(outcome.status).toBe('True');
    expect(admin.calls[0]).toBe('listTopics');
    expect(admin.calls).toContain(`createTopics ${names(fresh).join(',')}`);
    expect(admin.calls).not.toContain('fetchTopicMetadata');
  });

  it('a tenant whose topic was deleted by hand falls back to the listing and recreates only that one', async () => {
    const settled = tenant(true);
    const [gone, ...kept] = names(settled) as [string, ...string[]];
    const admin = new RecordingTopicAdmin(new Set(kept));
    const { outcome, events } = await apply(admin, settled);
    expect(outcome.status).toBe('True');
    expect(admin.calls.slice(0, 3)).toEqual(['fetchTopicMetadata', 'listTopics', `createTopics ${gone}`]);
    expect(events).toContain('TopicsRecreated');
    expect(admin.topics.has(gone)).toBe(true);
  });
});
