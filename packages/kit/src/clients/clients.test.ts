/**
 * The client lifecycles against the local stack's real servers: connect, answer a readiness
 * check, serve /ready through the Fastify base, and close without leaving a handle open.
 */
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSettings, loadConfig, mongoSettings, redisSettings } from '../config.ts';
import { createServiceApp } from '../http/create-service-app.ts';
import { createSilentLogger } from '../testing/index.ts';
import { connectKafka, type KafkaConnection } from './kafka.ts';
import { connectMongo, type MongoConnection } from './mongo.ts';
import { connectRedis, type RedisConnection } from './redis.ts';

const logger = createSilentLogger();
const config = loadConfig(Type.Object({ ...mongoSettings, ...redisSettings, ...kafkaSettings }));
let mongo: MongoConnection;
let redis: RedisConnection;
let kafka: KafkaConnection;

beforeAll(async () => {
  [mongo, redis, kafka] = await Promise.all([
    connectMongo(config.MONGO_URL, logger),
    connectRedis(config.REDIS_URL, logger),
    connectKafka(
      {
        brokers: config.KAFKA_BROKERS,
        username: config.KAFKA_USERNAME,
        password: config.KAFKA_PASSWORD,
        clientId: 'kit-test',
      },
      logger,
    ),
  ]);
});

afterAll(async () => {
  await Promise.all([mongo?.stop(), redis?.stop(), kafka?.stop()]);
});

describe('client lifecycles on the real servers', () => {
  it('connects to each and answers its readiness check', async () => {
    await expect(mongo.ping()).resolves.toBeUndefined();
    await expect(redis.ping()).resolves.toBeUndefined();
    await expect(kafka.ping()).resolves.toBeUndefined();
  });

  it('reports ready through /ready when every dependency answers', async () => {
    const app = createServiceApp({
      service: 'kit-test',
      logger,
      readiness: { mongodb: mongo.ping, redis: redis.ping, kafka: kafka.ping },
    });
    const response = await app.inject({ url: '/ready' });
    await app.close();
    expect(response.statusCode).toBe(200);
    expect(response.json().checks).toEqual({
      mongodb: { ok: true },
      redis: { ok: true },
      kafka: { ok: true },
    });
  });

  it('gives up on a server that never answers after its bounded retries', async () => {
    const dead = connectRedis(
      'redis://127.0.0.1:1',
      logger,
      { retryStrategy: () => null },
      {
        attempts: 2,
        initialDelayMs: 10,
      },
    );
    await expect(dead).rejects.toThrow(/ECONNREFUSED|Connection is closed/);
    const deadMongo = connectMongo(
      'mongodb://127.0.0.1:1/',
      logger,
      { serverSelectionTimeoutMS: 200 },
      { attempts: 2, initialDelayMs: 10 },
    );
    await expect(deadMongo).rejects.toThrow();
  });
});
