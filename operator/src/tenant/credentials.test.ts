import { describe, expect, it } from 'vitest';
import type { Tenant } from '../api/resources.ts';
import { secretData } from './credentials.ts';
import { desiredTenant } from './desired-state.ts';

const tenant: Tenant = {
  apiVersion: 'parley.dev/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'parley' },
  spec: { displayName: 'Acme', plan: 'team' },
};
const credentials = {
  redisPassword: 'r-pw',
  kafkaPassword: 'k-pw',
  mongoPassword: 'm/pw',
  s3SecretKey: 's3-secret',
  searchPassword: 'es-pw',
};
const platform = {
  mongoUrl: 'mongodb://root:admin-secret@mongo:27017/?replicaSet=rs0',
  redisUrl: 'redis://default:admin-secret@redis:6379',
  kafkaBrokers: 'kafka:9092',
  s3Endpoint: 'http://minio:9000',
  elasticsearchUrl: 'http://elastic:admin-secret@es:9200',
};

describe('secretData', () => {
  it("never carries the platform's administrator credentials", () => {
    const data = secretData(desiredTenant(tenant), credentials, platform, false);
    expect(JSON.stringify(data)).not.toContain('admin-secret');
    expect(data.MONGO_URL).toBe('mongodb://mongo:27017/?replicaSet=rs0');
    expect(data.MONGO_USERNAME).toBeUndefined();
  });

  it('hands out no Elasticsearch address where the tenant has no Elasticsearch user of its own', () => {
    const data = secretData(desiredTenant(tenant), credentials, platform, false, false);
    expect(data.ELASTICSEARCH_URL).toBeUndefined();
    expect(data.ELASTICSEARCH_PASSWORD).toBeUndefined();
    expect(data.ELASTICSEARCH_INDEX).toBe('parley-acme-messages');
  });

  it("names the tenant's own Elasticsearch user where the server has security", () => {
    const data = secretData(desiredTenant(tenant), credentials, platform, false, true);
    expect(data).toMatchObject({
      ELASTICSEARCH_URL: 'http://es:9200/',
      ELASTICSEARCH_USERNAME: 'tenant-acme',
      ELASTICSEARCH_PASSWORD: 'es-pw',
    });
  });

  it("puts the tenant's own users in the URLs", () => {
    const data = secretData(desiredTenant(tenant), credentials, platform, true);
    expect(data.REDIS_URL).toBe('redis://tenant-acme:r-pw@redis:6379');
    expect(data.MONGO_URL).toBe('mongodb://tenant-acme:m%2Fpw@mongo:27017/?replicaSet=rs0');
    expect(data).toMatchObject({
      MONGO_USERNAME: 'tenant-acme',
      KAFKA_USERNAME: 'tenant-acme',
      KAFKA_TOPIC_PREFIX: 'parley.acme.',
      S3_ACCESS_KEY: 'tenant-acme',
      S3_SECRET_KEY: 's3-secret',
      S3_BUCKET: 'parley-acme',
    });
  });
});
