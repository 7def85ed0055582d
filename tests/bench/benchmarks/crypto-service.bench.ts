/**
 * Crypto service round trips per second: POST /v1/tenants/:t/encrypt with 1 KiB (service
 * credential, schema validation, keyring, AES-256-GCM, problem-details base) against a bare
 * Fastify route doing the same base64 + AES-256-GCM work with no Parley parts: what the service
 * adds per call. Both listen on loopback in this process and take the same autocannon load.
 */
import { createCipheriv, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { buildApp } from '@parley/crypto-service/app';
import { createKeyring, MasterKeyring } from '@parley/keyring';
import { connectMongo, loadConfig, mongoSettings } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Type } from 'typebox';
import type { Benchmark } from '../harness.ts';
import { interleave } from '../harness.ts';

const TOKEN = 'bench-service-token-0123456789';

async function postRate(url: string, body: string, durationMs: number): Promise<number> {
  const result = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-service-token': TOKEN },
    connections: 10,
    pipelining: 1,
    duration: durationMs / 1000,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
  return result.requests.average;
}

const benchmark: Benchmark = {
  name: 'crypto-service-encrypt-round-trips',
  goal: '>= 0.5 x bare Fastify doing the same AES-GCM (req/s)',
  minRatio: 0.5,
  needsStack: true,
  async run(context) {
    const logger = createSilentLogger('bench');
    const mongo = await connectMongo(loadConfig(Type.Object({ ...mongoSettings })).MONGO_URL, logger);
    const db = mongo.client.db(`parley_bench_crypto_${randomUUID().slice(0, 8)}`);
    const keyring = createKeyring({
      db,
      logger,
      masterKeys: MasterKeyring.fromKeys([{ id: 'bench', key: randomBytes(32) }]),
    });
    const tenant = `bench-${randomUUID().slice(0, 8)}`;
    await keyring.ensureTenantKey(tenant);
    const service = buildApp({ keyring, logger, serviceToken: TOKEN });
    const key = createSecretKey(randomBytes(32));
    const bare = Fastify({ logger: false });
    bare.post('/encrypt', async (request) => {
      const { plaintext } = request.body as { plaintext: string };
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([
        iv,
        cipher.update(Buffer.from(plaintext, 'base64')),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return { ciphertext: sealed.toString('base64'), keyVersion: 1 };
    });
    const body = JSON.stringify({
      purpose: 'messages.body',
      plaintext: randomBytes(1024).toString('base64'),
    });
    try {
      const serviceUrl = `${await service.listen({ host: '127.0.0.1', port: 0 })}/v1/tenants/${tenant}/encrypt`;
      const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/encrypt`;
      // Seven shorter rounds instead of three long ones: on shared cores, the median of more
      // interleaved rounds is steadier, in about the same time.
      const rounds = {
        ...context,
        roundMs: Math.min(context.roundMs, 800),
        rounds: Math.max(context.rounds, 7),
      };
      const rates = await interleave(
        rounds,
        (ms) => postRate(serviceUrl, body, ms),
        (ms) => postRate(bareUrl, body, ms),
      );
      return {
        parley: { label: 'crypto service /encrypt 1 KiB', value: rates.parley, unit: 'req/s' },
        reference: { label: 'bare Fastify AES-GCM 1 KiB', value: rates.reference, unit: 'req/s' },
      };
    } finally {
      await service.close();
      await bare.close();
      await db.dropDatabase();
      await mongo.stop();
    }
  },
};

export default benchmark;
