import { describe, expect, it } from 'vitest';

// The global setup runs in vitest's main process; this proves forked workers inherit its env.
describe('stack env in test workers', () => {
  it('has every connection setting', () => {
    for (const name of [
      'MONGO_URL',
      'REDIS_URL',
      'KAFKA_BROKERS',
      'KAFKA_USERNAME',
      'KAFKA_PASSWORD',
      'ELASTICSEARCH_URL',
      'S3_ENDPOINT',
      'S3_ACCESS_KEY',
      'S3_SECRET_KEY',
      'KUBECONFIG',
      'SMTP_HOST',
      'SMTP_PORT',
      'MAILPIT_URL',
    ]) {
      expect(process.env[name], name).toBeTruthy();
    }
  });
});
