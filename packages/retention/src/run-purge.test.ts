import { describe, expect, it } from 'vitest';
import { HoldSet, type LegalHold } from './legal-hold.ts';
import { parseDurationSeconds, parseRetentionPolicy, type RetentionPolicy } from './policy.ts';
import type { PurgeCandidate, PurgeQuery, PurgeTarget } from './purge-target.ts';
import { planPurge, runPurge } from './run-purge.ts';

// An in-memory target: this is a unit test of the walk, holds and counting (the Mongo target has
// its own integration test against the real server).
class MemoryTarget implements PurgeTarget {
  readonly resource = 'messages' as const;
  items: PurgeCandidate[];
  constructor(items: PurgeCandidate[]) {
    this.items = items;
  }
  async listExpired(q: PurgeQuery): Promise<PurgeCandidate[]> {
    return this.items
      .filter((i) => i.createdAt < q.before)
      .filter((i) => !q.conversationIds || q.conversationIds.includes(i.conversationId ?? ''))
      .filter((i) => !q.excludeConversationIds?.includes(i.conversationId ?? ''))
      .filter(
        (i) =>
          !q.after ||
          i.createdAt > q.after.createdAt ||
          (i.createdAt.getTime() === q.after.createdAt.getTime() && i.id > q.after.id),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
      .slice(0, q.limit);
  }
  async delete(items: PurgeCandidate[], before: Date): Promise<number> {
    const ids = new Set(items.filter((i) => i.createdAt < before).map((i) => i.id));
    const n = this.items.length;
    this.items = this.items.filter((i) => !ids.has(i.id));
    return n - this.items.length;
  }
}

const now = new Date('2026-01-31T00:00:00Z');
const day = 86_400_000;
function item(id: string, ageDays: number, conversationId: string, author: string): PurgeCandidate {
  return { id, createdAt: new Date(now.getTime() - ageDays * day), conversationId, subjects: [author] };
}
function hold(id: string, scope: LegalHold['scope']): LegalHold {
  return { id, scope, reason: 'litigation', setBy: 'counsel', setAt: now.toISOString() };
}

const policy: RetentionPolicy = parseRetentionPolicy({
  name: 'default',
  dryRun: false,
  rules: [
    { resource: 'messages', maxAgeSeconds: 30 * 86_400 },
    { resource: 'messages', maxAgeSeconds: 365 * 86_400, conversationIds: ['keep-long'] },
    { resource: 'media', maxAgeSeconds: 30 * 86_400 },
  ],
});

describe('runPurge', () => {
  it('deletes exactly the expired items that no hold covers, in batches', async () => {
    const items = [
      ...Array.from({ length: 7 }, (_, i) => item(`old-${i}`, 40 + i, 'c1', 'alice')),
      item('fresh', 5, 'c1', 'alice'),
      item('held-person', 50, 'c1', 'bob'),
      item('held-conv', 50, 'c2', 'alice'),
      item('long-kept', 100, 'keep-long', 'alice'),
      item('long-expired', 400, 'keep-long', 'alice'),
    ];
    const target = new MemoryTarget(items);
    const holds = new HoldSet([
      hold('h1', { kind: 'person', userId: 'bob' }),
      hold('h2', { kind: 'conversation', conversationId: 'c2' }),
    ]);
    let holdReads = 0;
    const run = await runPurge(policy, {
      tenant: 'acme',
      targets: { messages: target },
      holds: async () => {
        holdReads += 1;
        return holds;
      },
      now,
      batchSize: 3,
      pauseMs: 0,
    });
    expect(target.items.map((i) => i.id).sort()).toEqual(['fresh', 'held-conv', 'held-person', 'long-kept']);
    expect(run.counts.messages).toEqual({ examined: 10, deleted: 8, skippedHeld: 2, wouldDelete: 0 });
    expect(run.holdsApplied.sort()).toEqual(['h1', 'h2']);
    expect(run.unsupportedResources).toEqual(['media']);
    expect(run.status).toBe('succeeded');
    expect(holdReads).toBeGreaterThan(3); // re-read before each batch
  });

  it('a tenant-wide hold keeps everything; a lifted hold does not', async () => {
    const target = new MemoryTarget([item('a', 90, 'c1', 'x'), item('b', 90, 'c1', 'y')]);
    const tenantHold = hold('t', { kind: 'tenant' });
    const held = await runPurge(policy, {
      tenant: 'acme',
      targets: { messages: target },
      holds: async () => new HoldSet([tenantHold]),
      now,
      pauseMs: 0,
    });
    expect(held.counts.messages?.deleted).toBe(0);
    expect(target.items).toHaveLength(2);
    const lifted = { ...tenantHold, liftedAt: now.toISOString() };
    const after = await runPurge(policy, {
      tenant: 'acme',
      targets: { messages: target },
      holds: async () => new HoldSet([lifted]),
      now,
      pauseMs: 0,
    });
    expect(after.counts.messages?.deleted).toBe(2);
    expect(target.items).toHaveLength(0);
  });

  it('the dry run reports what would go and deletes nothing', async () => {
    const target = new MemoryTarget([
      item('a', 90, 'c1', 'x'),
      item('b', 1, 'c1', 'y'),
      item('c', 90, 'c1', 'bob'),
    ]);
    const run = await planPurge(policy, {
      tenant: 'acme',
      targets: { messages: target },
      holds: async () => new HoldSet([hold('h1', { kind: 'person', userId: 'bob' })]),
      now,
      pauseMs: 0,
    });
    expect(run.dryRun).toBe(true);
    expect(run.counts.messages).toEqual({ examined: 2, deleted: 0, skippedHeld: 1, wouldDelete: 1 });
    expect(run.sample.messages).toEqual(['a']);
    expect(target.items).toHaveLength(3);
  });

  it('records a failing store as an error and reports the run partial', async () => {
    const broken: PurgeTarget = {
      resource: 'media',
      listExpired: async () => {
        throw new Error('store down');
      },
      delete: async () => 0,
    };
    const run = await runPurge(policy, {
      tenant: 'acme',
      targets: { messages: new MemoryTarget([]), media: broken },
      holds: async () => new HoldSet([]),
      now,
      pauseMs: 0,
    });
    expect(run.status).toBe('partial');
    expect(run.errors).toEqual([{ resource: 'media', message: 'store down' }]);
  });
});

describe('policy', () => {
  it('refuses a conversation named twice, two tenant-wide rules and a too-short age', () => {
    expect(() =>
      parseRetentionPolicy({
        name: 'p',
        dryRun: false,
        rules: [
          { resource: 'messages', maxAgeSeconds: 7200, conversationIds: ['a'] },
          { resource: 'messages', maxAgeSeconds: 9000, conversationIds: ['a'] },
        ],
      }),
    ).toThrow(/two messages rules/);
    expect(() =>
      parseRetentionPolicy({
        name: 'p',
        dryRun: false,
        rules: [
          { resource: 'audit', maxAgeSeconds: 7200 },
          { resource: 'audit', maxAgeSeconds: 9000 },
        ],
      }),
    ).toThrow(/two tenant-wide/);
    expect(() =>
      parseRetentionPolicy({ name: 'p', dryRun: false, rules: [{ resource: 'audit', maxAgeSeconds: 5 }] }),
    ).toThrow(/maxAgeSeconds/);
    expect(parseDurationSeconds('90d')).toBe(90 * 86_400);
    expect(() => parseDurationSeconds('soon')).toThrow(/90d/);
  });
});
