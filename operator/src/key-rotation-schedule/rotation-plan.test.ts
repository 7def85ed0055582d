import { describe, expect, it } from 'vitest';
import { planRotation, targetMinDecryptionVersion } from './rotation-plan.ts';

const created = new Date('2026-01-01T00:00:00Z');

describe('planRotation', () => {
  it('is due once the period has passed since the current version, with a slot named after the due time', () => {
    expect(
      planRotation({
        period: '24h',
        currentVersionCreatedAt: created,
        now: new Date('2026-01-01T23:00:00Z'),
      }),
    ).toEqual({
      forced: false,
      nextRotation: new Date('2026-01-02T00:00:00Z'),
    });
    const due = planRotation({
      period: '24h',
      currentVersionCreatedAt: created,
      now: new Date('2026-01-02T00:00:05Z'),
    });
    expect(due.slot).toBe('period:2026-01-02T00:00:00.000Z');
    // Reconciled again a second later, before the rotation was recorded: the same slot.
    expect(
      planRotation({ period: '24h', currentVersionCreatedAt: created, now: new Date('2026-01-02T00:00:06Z') })
        .slot,
    ).toBe(due.slot);
  });

  it('rotates in a cron window once per tick', () => {
    const now = new Date('2026-01-05T03:10:00Z');
    const plan = planRotation({ cron: '0 3 * * *', currentVersionCreatedAt: created, now });
    expect(plan.slot).toBe('cron:2026-01-05T03:00:00.000Z');
    expect(plan.nextRotation).toEqual(new Date('2026-01-06T03:00:00Z'));
    // After rotating at 03:10 the current version is newer than the tick: nothing due until the next.
    expect(
      planRotation({
        cron: '0 3 * * *',
        currentVersionCreatedAt: now,
        now: new Date('2026-01-05T05:00:00Z'),
      }),
    ).toEqual({
      forced: false,
      nextRotation: new Date('2026-01-06T03:00:00Z'),
    });
  });

  it('force-rotates once per annotation value', () => {
    const now = new Date('2026-01-01T01:00:00Z');
    expect(
      planRotation({ period: '720h', currentVersionCreatedAt: created, now, forceValue: 'a' }),
    ).toMatchObject({ slot: 'force:a', forced: true });
    expect(
      planRotation({
        period: '720h',
        currentVersionCreatedAt: created,
        now,
        forceValue: 'a',
        lastForceValue: 'a',
      }).slot,
    ).toBeUndefined();
  });
});

describe('targetMinDecryptionVersion', () => {
  it('keeps the last N versions, honours the spec and never lowers', () => {
    expect(targetMinDecryptionVersion(5, 1, 3, undefined)).toBe(3);
    expect(targetMinDecryptionVersion(5, 1, 10, undefined)).toBe(1);
    expect(targetMinDecryptionVersion(5, 1, 10, 4)).toBe(4);
    expect(targetMinDecryptionVersion(5, 4, 10, 2)).toBe(4);
    expect(targetMinDecryptionVersion(2, 1, 3, 9)).toBe(2);
  });
});
