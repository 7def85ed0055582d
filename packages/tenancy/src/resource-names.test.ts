import { describe, expect, it } from 'vitest';
import {
  kafkaTopic,
  mongoDatabaseName,
  redisKey,
  redisWorkloadKeyPrefix,
  s3BucketName,
  searchIndexName,
} from './resource-names.ts';
import { isTenantId } from './tenant-id.ts';

describe('tenant resource names', () => {
  it('follows the tenancy table', () => {
    expect(mongoDatabaseName('acme-corp')).toBe('parley_acme_corp');
    expect(redisKey('acme', 'session', 's1')).toBe('t:acme:session:s1');
    expect(redisWorkloadKeyPrefix('acme')).toBe('t:acme:app:');
    expect(kafkaTopic('acme', 'messages')).toBe('parley.acme.messages');
    expect(s3BucketName('acme')).toBe('parley-acme');
    expect(searchIndexName('acme')).toBe('parley-acme-messages');
  });

  it('never turns a malformed or reserved id into a name', () => {
    for (const bad of ['', 'Acme', 'a_b', '-a', 'a-', 'a.b', '../x', 'platform', 'x'.repeat(33)]) {
      expect(isTenantId(bad)).toBe(false);
      expect(() => mongoDatabaseName(bad)).toThrow(/Invalid tenant id/);
    }
  });
});
