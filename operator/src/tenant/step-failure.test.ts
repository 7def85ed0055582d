import { describe, expect, it } from 'vitest';
import { stepFailure, withTimeout } from './step-failure.ts';

describe('stepFailure', () => {
  it('says a store is unavailable when the error is about reaching it', () => {
    const error = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    expect(stepFailure('KafkaTopics', error)).toMatchObject({ status: 'False', reason: 'KafkaUnavailable' });
    expect(stepFailure('Mongo', new Error('Server selection timed out after 5000 ms')).reason).toBe(
      'MongoUnavailable',
    );
  });

  it('calls other failures errors of the store, with the message', () => {
    const outcome = stepFailure('Bucket', new Error('Access Denied'));
    expect(outcome.reason).toBe('S3Error');
    expect(outcome.message).toContain('Access Denied');
  });

  it('bounds a step that hangs', async () => {
    await expect(withTimeout('Redis', 20, new Promise(() => {}))).rejects.toThrow(/timed out/);
  });
});
