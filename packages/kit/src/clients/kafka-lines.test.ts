import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLineLevel } from './kafka.ts';

describe('kafkajs lines in Parley logs', () => {
  it('logs one failed broker answer as a warning (kafkajs retries it; a final failure reaches the caller)', () => {
    const answer = 'Response InitProducerId(key: 22, version: 1)';
    expect(kafkaLineLevel(logLevel.ERROR, 'Connection', answer)).toBe('warn');
  });

  it('keeps every other kafkajs error an error, and its warnings warnings', () => {
    expect(kafkaLineLevel(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded')).toBe('error');
    expect(kafkaLineLevel(logLevel.ERROR, 'Connection', 'Connection error: ECONNREFUSED')).toBe('error');
    expect(kafkaLineLevel(logLevel.WARN, 'Producer', 'something to know')).toBe('warn');
    expect(kafkaLineLevel(logLevel.INFO, 'Consumer', 'Starting')).toBe('debug');
  });

  it('quiets the idempotent producer warning Parley causes on purpose (bounded retries)', () => {
    const expected = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';
    expect(kafkaLineLevel(logLevel.WARN, 'Producer', expected)).toBe('debug');
  });
});
