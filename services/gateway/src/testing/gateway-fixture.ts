/**
 * For integration tests: the gateway assembled as main.ts does (its components over the real
 * Redis), pointed at services the test started, listening on a free port so a client (the SDK)
 * calls it over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectRedis,
  type Logger,
  loadConfig,
  type RedisConnection,
  type ServiceApp,
  startWorkers,
  stopWorkers,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { buildApp } from '../app.ts';
import { createGatewayComponents, type GatewayComponents } from '../components.ts';
import { type GatewayConfig, gatewaySettingsSchema } from '../settings.ts';

export type { GatewayConfig };

export interface GatewayFixture {
  app: ServiceApp;
  components: GatewayComponents;
  redis: RedisConnection;
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

export async function openGatewayFixture(
  settings: Partial<GatewayConfig>,
  options: { logger?: Logger } = {},
): Promise<GatewayFixture> {
  // Each gateway of a test has an audit directory of its own (unless the test shares one on purpose).
  const ownDir = settings.AUDIT_DIR ? undefined : await mkdtemp(join(tmpdir(), 'parley-gateway-audit-'));
  const config = {
    ...loadConfig(gatewaySettingsSchema),
    TENANT_STATUS_CACHE_MS: 0,
    ...(ownDir ? { AUDIT_DIR: ownDir } : {}),
    // And rate limit counts of its own: test files run side by side on one Redis, all from
    // 127.0.0.1, and would use up each other's per-address budget (a test of two gateways
    // sharing one count passes the same prefix to both).
    RATE_LIMIT_KEY_PREFIX: `parley:gateway:ratelimit:${randomUUID()}:`,
    ...settings,
  };
  const logger = options.logger ?? createSilentLogger('gateway');
  const redis = await connectRedis(config.REDIS_URL, logger);
  const components = createGatewayComponents({ config, redis: redis.client, logger });
  await startWorkers(components.workers, logger);
  const app = buildApp({ logger, components, readiness: { redis: redis.ping } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    components,
    redis,
    url,
    async close() {
      await app.close();
      await stopWorkers(components.workers, logger);
      await redis.stop();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}
