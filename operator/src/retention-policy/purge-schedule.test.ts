import { describe, expect, it } from 'vitest';
import type { RetentionPolicySpec } from '../api/resources.ts';
import { purgeDue } from './purge-schedule.ts';
import { messagesTopicRetentionMs } from './topic-retention.ts';

describe('purgeDue', () => {
  const created = new Date('2026-01-01T00:00:00Z');

  it('waits for the first tick after creation, then runs once per tick', () => {
    expect(purgeDue('30 2 * * *', undefined, created, new Date('2026-01-01T01:00:00Z'))).toEqual({
      due: false,
      nextRun: new Date('2026-01-01T02:30:00Z'),
    });
    const due = purgeDue('30 2 * * *', undefined, created, new Date('2026-01-01T02:31:00Z'));
    expect(due).toMatchObject({ due: true, tick: new Date('2026-01-01T02:30:00Z') });
    expect(
      purgeDue('30 2 * * *', new Date('2026-01-01T02:31:00Z'), created, new Date('2026-01-01T05:00:00Z')).due,
    ).toBe(false);
  });

  it('runs a missed tick once when the operator comes back', () => {
    const lastRun = new Date('2026-01-01T02:30:01Z');
    const now = new Date('2026-01-04T10:00:00Z');
    expect(purgeDue('30 2 * * *', lastRun, created, now)).toMatchObject({
      due: true,
      tick: new Date('2026-01-04T02:30:00Z'),
    });
  });
});

describe('messagesTopicRetentionMs', () => {
  it('comes from the tenant-wide messages rule only', () => {
    const spec: RetentionPolicySpec = {
      tenantRef: { name: 'acme' },
      rules: [
        { resource: 'messages', maxAge: '7d', conversationSelector: { conversationIds: ['c'] } },
        { resource: 'messages', maxAge: '90d' },
        { resource: 'audit', maxAge: '365d' },
      ],
    };
    expect(messagesTopicRetentionMs(spec)).toBe(90 * 24 * 3600_000);
    expect(
      messagesTopicRetentionMs({ ...spec, rules: [{ resource: 'media', maxAge: '30d' }] }),
    ).toBeUndefined();
  });
});
