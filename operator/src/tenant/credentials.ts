/**
 * The tenant's own credentials (Redis ACL user, Kafka SCRAM user, MinIO user, Mongo and
 * Elasticsearch users where supported) and what the tenant's Secret says about them: pure data.
 * Where they are kept in a cluster is credential-secrets.ts; without one, local-credentials.ts.
 */
import { randomBytes } from 'node:crypto';
import type { DesiredTenant } from './desired-state.ts';
import { mongoUsername } from './steps/mongo-step.ts';
import { s3AccessKey } from './steps/s3-user.ts';
import { searchUsername } from './steps/search-security.ts';

export interface TenantCredentials {
  redisPassword: string;
  kafkaPassword: string;
  mongoPassword: string;
  /** The MinIO user's secret key (32 characters; MinIO takes 8 to 40). */
  s3SecretKey: string;
  /** The Elasticsearch user's password (used only where the server has security). */
  searchPassword: string;
}

export interface ConnectionFacts {
  mongoUrl: string;
  redisUrl: string;
  kafkaBrokers: string;
  s3Endpoint: string;
  elasticsearchUrl: string;
}

/** Where the stores are, from the operator's settings (credentials are stripped where they are used). */
export function connectionFacts(config: {
  MONGO_URL: string;
  REDIS_URL: string;
  KAFKA_BROKERS: string;
  S3_ENDPOINT: string;
  ELASTICSEARCH_URL: string;
}): ConnectionFacts {
  return {
    mongoUrl: config.MONGO_URL,
    redisUrl: config.REDIS_URL,
    kafkaBrokers: config.KAFKA_BROKERS,
    s3Endpoint: config.S3_ENDPOINT,
    elasticsearchUrl: config.ELASTICSEARCH_URL,
  };
}

/** A fresh password or key: 24 random bytes, base64url (32 characters). */
export const newPassword = (): string => randomBytes(24).toString('base64url');

/**
 * A connection URL with the platform's own credentials removed, or replaced by the tenant's: the
 * operator's URLs carry administrator credentials, which must never reach a tenant's Secret.
 */
export function urlWithCredentials(url: string, username?: string, password?: string): string {
  if (url === '') return url;
  const parsed = new URL(url);
  parsed.username = username ? encodeURIComponent(username) : '';
  parsed.password = password ? encodeURIComponent(password) : '';
  return parsed.toString();
}

/**
 * The Secret's data (before base64): what a tenant-scoped service needs to connect as the tenant.
 * A store is named with its address only where the tenant has its own user there: without
 * Elasticsearch security the index is isolated by name alone, so no address is handed out (the
 * tenant searches through the search service) and only the index name remains.
 */
export function secretData(
  desired: DesiredTenant,
  credentials: TenantCredentials,
  facts: ConnectionFacts,
  mongoUserSupported: boolean,
  searchUserSupported = false,
): Record<string, string> {
  const mongoUser = mongoUsername(desired.id);
  const mongoUrl = mongoUserSupported
    ? urlWithCredentials(facts.mongoUrl, mongoUser, credentials.mongoPassword)
    : urlWithCredentials(facts.mongoUrl);
  return {
    TENANT_ID: desired.id,
    MONGO_URL: mongoUrl,
    MONGO_DATABASE: desired.mongo.database,
    ...(mongoUserSupported ? { MONGO_USERNAME: mongoUser, MONGO_PASSWORD: credentials.mongoPassword } : {}),
    REDIS_URL: urlWithCredentials(facts.redisUrl, desired.redis.user, credentials.redisPassword),
    REDIS_USERNAME: desired.redis.user,
    REDIS_PASSWORD: credentials.redisPassword,
    REDIS_KEY_PREFIX: desired.redis.workload.keyPrefix,
    KAFKA_BROKERS: facts.kafkaBrokers,
    KAFKA_USERNAME: desired.kafka.principal,
    KAFKA_PASSWORD: credentials.kafkaPassword,
    KAFKA_TOPIC_PREFIX: desired.kafka.topicPrefix,
    S3_ENDPOINT: urlWithCredentials(facts.s3Endpoint),
    S3_BUCKET: desired.bucket,
    S3_ACCESS_KEY: s3AccessKey(desired.id),
    S3_SECRET_KEY: credentials.s3SecretKey,
    ...(searchUserSupported
      ? {
          ELASTICSEARCH_URL: urlWithCredentials(facts.elasticsearchUrl),
          ELASTICSEARCH_USERNAME: searchUsername(desired.id),
          ELASTICSEARCH_PASSWORD: credentials.searchPassword,
        }
      : {}),
    ELASTICSEARCH_INDEX: desired.searchIndex,
  };
}
