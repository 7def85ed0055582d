/**
 * Crypto service round trips per second: POST /v1/tenants/:t/encrypt with 1 KiB (service
 * credential, schema validation, keyring lookup, AES-256-GCM) against a route on the same kit
 * base (createServiceApp) doing the same base64 + AES-256-GCM work and nothing else: what the
 * crypto service's own layers cost per call. What the kit base costs against bare Fastify is
 * kit-health's benchmark; a bare Fastify route doing the same work is reported as a detail.
 *
 * Load: 8 keep-alive connections, 10 requests each per batch, batches of the three servers
 * interleaved, which goes first rotating (S K B, K B S, B S K ...), and the median batch of each kept: on shared, noisy cores a burst
 * of load then hits one batch, not one side.
 */
import { createCipheriv, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '@parley/crypto-service/app';
import { createComponents } from '@parley/crypto-service/components';
import { cryptoSettingsSchema } from '@parley/crypto-service/settings';
import { MasterKeyring } from '@parley/keyring';
import { connectMongo, createServiceApp, loadConfig, ServiceCallers } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { type BenchContext, type Benchmark, median, sideOrder } from '../harness.ts';

const TOKEN = 'bench-service-token-0123456789';
const CONNECTIONS = 8;
const PER_CONNECTION = 10;

function post(agent: Agent, port: number, path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-service-token': TOKEN,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests per second of each target, from the median of interleaved batches. */
async function interleavedBatches(
  context: BenchContext,
  targets: { port: number; path: string }[],
  body: string,
): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const batch = async ({ port, path }: { port: number; path: string }) => {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let i = 0; i < PER_CONNECTION; i++) await post(agent, port, path, body);
      }),
    );
    return performance.now() - started;
  };
  try {
    for (let i = 0; i < 5; i++) for (const target of targets) await batch(target); // warm-up
    const times: number[][] = targets.map(() => []);
    const budgetMs = Math.min(context.roundMs * context.rounds * 1.5, 9_000);
    const started = performance.now();
    // Which target goes first rotates from round to round (S K B, K B S, B S K ...).
    for (let round = 0; performance.now() - started < budgetMs; round++) {
      for (const i of sideOrder(round, targets.length)) {
        times[i]?.push(await batch(targets[i] as { port: number; path: string }));
      }
    }
    return times.map((list) => (CONNECTIONS * PER_CONNECTION * 1000) / median(list));
  } finally {
    agent.destroy();
  }
}

const benchmark: Benchmark = {
  name: 'crypto-service-encrypt-round-trips',
  goal: '>= 0.75 x a kit route doing the same AES-GCM (req/s)',
  minRatio: 0.75,
  needsStack: true,
  async run(context) {
    const logger = createSilentLogger('bench');
    const settings = loadConfig(cryptoSettingsSchema);
    const mongo = await connectMongo(settings.MONGO_URL, logger);
    const db = mongo.client.db(`parley_bench_crypto_${randomUUID().slice(0, 8)}`);
    // The service's own graph (as main.ts builds it) over a database and master key of the run's own.
    const components = await createComponents(
      settings,
      {
        logger,
        mongo,
        platformDb: db,
        masterKeys: MasterKeyring.fromKeys([{ id: 'bench', key: randomBytes(32) }]),
      },
      { callers: ServiceCallers.of({ messaging: TOKEN }) },
    );
    const { keyring } = components;
    const tenant = `bench-${randomUUID().slice(0, 8)}`;
    await keyring.ensureTenantKey(tenant);
    const key = createSecretKey(randomBytes(32));
    const sameWork = async (request: { body: unknown }) => {
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
    };
    const service = buildApp(components);
    const kitOnly = createServiceApp({ service: 'bench-kit', logger });
    kitOnly.post('/encrypt', sameWork);
    const bare = Fastify({ logger: false });
    bare.post('/encrypt', sameWork);
    const apps: FastifyInstance[] = [service, kitOnly, bare];
    const body = JSON.stringify({
      purpose: 'messages.body',
      plaintext: randomBytes(1024).toString('base64'),
    });
    try {
      const ports: number[] = [];
      for (const app of apps) {
        await app.listen({ host: '127.0.0.1', port: 0 });
        ports.push((app.server.address() as AddressInfo).port);
      }
      const [serviceRate = 0, kitRate = 0, bareRate = 0] = await interleavedBatches(
        context,
        [
          { port: ports[0] ?? 0, path: `/v1/tenants/${tenant}/encrypt` },
          { port: ports[1] ?? 0, path: '/encrypt' },
          { port: ports[2] ?? 0, path: '/encrypt' },
        ],
        body,
      );
      return {
        parley: { label: 'crypto service /encrypt 1 KiB', value: serviceRate, unit: 'req/s' },
        reference: { label: 'kit route, same AES-GCM 1 KiB', value: kitRate, unit: 'req/s' },
        details: { 'bare Fastify, same AES-GCM (req/s)': Math.round(bareRate) },
      };
    } finally {
      for (const app of apps) await app.close();
      await db.dropDatabase();
      await mongo.stop();
    }
  },
};

export default benchmark;
