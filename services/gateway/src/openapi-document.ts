/**
 * The gateway's OpenAPI document, made from the same buildApp the service runs, without any
 * connection: the SDK's generator (scripts/generate-sdk.ts) and its drift test read it here.
 */

import { loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { createGatewayComponents } from './components.ts';
import { gatewaySettingsSchema } from './settings.ts';

export async function gatewayOpenApiDocument(): Promise<Record<string, unknown>> {
  // The defaults only (never this machine's environment): the document must not depend on it.
  const config = loadConfig(gatewaySettingsSchema, { PARLEY_ENV: 'development' });
  const redis = new Redis({ lazyConnect: true });
  const logger = createSilentLogger('gateway');
  const app = buildApp({ logger, components: createGatewayComponents({ config, redis, logger }) });
  try {
    const answer = await app.inject({ method: 'GET', url: '/documentation/json' });
    if (answer.statusCode !== 200) throw new Error(`the document answered ${answer.statusCode}`);
    return answer.json() as Record<string, unknown>;
  } finally {
    await app.close();
    redis.disconnect();
  }
}
