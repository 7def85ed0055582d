/**
 * The coalescing logic against a fake kafkajs admin (the real broker is exercised by the
 * provisioning, drift and Kafka-down integration tests): concurrent requests share one call, and
 * a batch the broker refuses for one tenant's topic fails that tenant only.
 */
import type { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Admin, ITopicConfig } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CoalescedTopicAdmin } from './coalesced-topic-admin.ts';

/** A broker that refuses topics named `bad.*` the way kafkajs reports it (errors naming topics). */
function fakeAdmin() {
  const createCalls: string[][] = [];
  const existing = new Set<string>();
  let listCalls = 0;
  const admin = {
    async listTopics() {
      listCalls++;
      await new Promise((r) => setTimeout(r, 5));
      return [...existing];
    },
    async createTopics({ topics }: { topics: ITopicConfig[] }) {
      createCalls.push(topics.map((t) => t.topic));
      await new Promise((r) => setTimeout(r, 5));
      const refused = topics.filter((t) => t.topic.startsWith('bad.'));
      if (refused.length > 0) {
        const error = new Error('Topic creation errors') as Error & { errors: unknown[] };
        error.errors = refused.map((t) => Object.assign(new Error('INVALID_CONFIG'), { topic: t.topic }));
        throw error;
      }
      for (const t of topics) existing.add(t.topic);
      return true;
    },
    async fetchTopicMetadata({ topics }: { topics: string[] }) {
      return {
        topics: topics
          .filter((name) => existing.has(name))
          .map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }] })),
      };
    },
  };
  return { admin: admin as unknown as Admin, createCalls, listCalls: () => listCalls };
}

/** These cases never reach topic configs (the real broker's are in tenant-provisioning.test.ts). */
const unusedPlatformatic = {} as PlatformaticAdmin;

const topic = (name: string): ITopicConfig => ({ topic: name, numPartitions: 1, replicationFactor: 1 });

describe('CoalescedTopicAdmin', () => {
  it('serves requests that arrive while a call is in flight with one call', async () => {
    const fake = fakeAdmin();
    const admin = new CoalescedTopicAdmin(fake.admin, unusedPlatformatic);
    const lists = await Promise.all([admin.listTopics(), admin.listTopics(), admin.listTopics()]);
    expect(lists).toHaveLength(3);
    expect(fake.listCalls()).toBeLessThanOrEqual(2); // the first alone, the others together
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((t) => admin.createTopics([topic(`${t}.1`), topic(`${t}.2`)])),
    );
    expect(fake.createCalls.length).toBeLessThanOrEqual(2);
    expect(fake.createCalls.flat().sort()).toEqual(['a.1', 'a.2', 'b.1', 'b.2', 'c.1', 'c.2', 'd.1', 'd.2']);
  });

  it('fails only the tenant whose topic the broker refuses when a batch is refused', async () => {
    const fake = fakeAdmin();
    const admin = new CoalescedTopicAdmin(fake.admin, unusedPlatformatic);
    const first = admin.createTopics([topic('x.1')]); // in flight: the next three form one batch
    const results = await Promise.allSettled([
      admin.createTopics([topic('a.1')]),
      admin.createTopics([topic('bad.1')]),
      admin.createTopics([topic('c.1')]),
    ]);
    await first;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await admin.listTopics()).toEqual(new Set(['x.1', 'a.1', 'c.1']));
  });
});
