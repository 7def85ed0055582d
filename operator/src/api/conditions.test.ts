import { describe, expect, it } from 'vitest';
import { setCondition, summariseReady } from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T01:00:00Z');

describe('conditions', () => {
  it('moves lastTransitionTime only when the status flips', () => {
    const first = setCondition(
      [],
      { type: 'Kafka', status: 'False', reason: 'BrokerUnreachable', message: 'x' },
      1,
      t0,
    );
    const same = setCondition(
      first,
      { type: 'Kafka', status: 'False', reason: 'Other', message: 'y' },
      2,
      t1,
    );
    expect(same[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(same[0]?.observedGeneration).toBe(2);
    const flipped = setCondition(
      same,
      { type: 'Kafka', status: 'True', reason: 'Ready', message: 'z' },
      2,
      t1,
    );
    expect(flipped[0]?.lastTransitionTime).toBe('2026-01-01T01:00:00Z');
  });

  it('keeps Ready first and the rest sorted', () => {
    let c = setCondition([], { type: 'Redis', status: 'True', reason: 'R', message: '' }, 1, t0);
    c = setCondition(c, { type: 'Ready', status: 'True', reason: 'R', message: '' }, 1, t0);
    c = setCondition(c, { type: 'Kafka', status: 'True', reason: 'R', message: '' }, 1, t0);
    expect(c.map((x) => x.type)).toEqual(['Ready', 'Kafka', 'Redis']);
  });

  it('summarises Ready from the first step that is not ready', () => {
    const ready = summariseReady([
      { type: 'Mongo', status: 'True', reason: 'Ready', message: '' },
      { type: 'Kafka', status: 'False', reason: 'BrokerUnreachable', message: 'connect ECONNREFUSED' },
    ]);
    expect(ready).toMatchObject({ status: 'False', reason: 'BrokerUnreachable' });
    expect(ready.message).toContain('Kafka');
    expect(summariseReady([{ type: 'Mongo', status: 'True', reason: 'Ready', message: '' }]).status).toBe(
      'True',
    );
  });
});
