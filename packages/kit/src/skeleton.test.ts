/**
 * The skeleton's shared plugins and workers: the service credential and the tenant gate
 * registered once by createServiceApp and used by routes declared in route plugins, over the real
 * Redis the operator publishes runtime records in; workers started in order and stopped in order.
 */
import { randomBytes } from 'node:crypto';
import { tenantRuntimeKey, writeTenantRuntimeRecord } from '@parley/tenancy';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisConnection } from './clients/redis.ts';
import { loadConfig, redisSettings } from './config.ts';
import { createServiceApp, type ServiceApp } from './http/create-service-app.ts';
import { guardScope } from './http/route-security.ts';
import { ServiceCallers } from './http/service-auth.ts';
import { serveReadyTenants, TenantGate, type TenantGatePolicy, tenantRefusals } from './http/tenant-gate.ts';
import { createSilentLogger } from './testing/index.ts';
import { startWorkers, stopWorkers, type Worker } from './worker.ts';

const logger = createSilentLogger();
let redis: RedisConnection;
const suffix = randomBytes(3).toString('hex');
const tenants = {
  ready: `kit-ready-${suffix}`,
  suspended: `kit-suspended-${suffix}`,
  provisioning: `kit-provisioning-${suffix}`,
  unknown: `kit-unknown-${suffix}`,
};

beforeAll(async () => {
  redis = await connectRedis(loadConfig(Type.Object(redisSettings)).REDIS_URL, logger);
  for (const [tenant, status] of [
    [tenants.ready, 'Ready'],
    [tenants.suspended, 'Suspended'],
    [tenants.provisioning, 'Provisioning'],
  ] as const) {
    await writeTenantRuntimeRecord(redis.client, tenant, {
      status,
      plan: 'team',
      quotas: { users: 5, storageGiB: 1, messagesPerSecond: 1 },
      generation: 1,
    });
  }
});

afterAll(async () => {
  for (const tenant of Object.values(tenants)) await redis.client.del(tenantRuntimeKey(tenant));
  await redis.stop();
});

/** An app as a service's app.ts builds it: shared plugins by option, routes in a plugin under /v1. */
function sampleApp(policy?: TenantGatePolicy): ServiceApp {
  const app = createServiceApp({
    service: 'sample',
    logger,
    callers: ServiceCallers.of({
      operator: 'operator-token-0123456789',
      gateway: 'gateway-token-0123456789',
    }),
    tenantGate: new TenantGate(redis.client, { cacheMs: 0, ...(policy ? { policy } : {}) }),
  });
  app.register(
    async (scope) => {
      guardScope(scope, scope.serviceCredential({ allow: ['operator'] }));
      scope.addHook('preHandler', scope.servedTenant);
      scope.get('/tenants/:tenant/things', async (request) => ({
        tenant: (request.params as { tenant: string }).tenant,
        caller: request.serviceCaller,
      }));
      scope.get('/tenants/:tenant/audit/things', async () => ({ read: true }));
    },
    { prefix: '/v1' },
  );
  return app;
}

const asOperator = { 'x-service-token': 'operator-token-0123456789' };

describe('the service credential plugin', () => {
  it('admits the allowed caller, refuses another known caller (403) and a missing credential (401)', async () => {
    const app = sampleApp();
    const url = `/v1/tenants/${tenants.ready}/things`;
    const admitted = await app.inject({ url, headers: asOperator });
    expect(admitted.statusCode).toBe(200);
    expect(admitted.json()).toEqual({ tenant: tenants.ready, caller: 'operator' });
    const other = await app.inject({ url, headers: { 'x-service-token': 'gateway-token-0123456789' } });
    expect(other.statusCode).toBe(403);
    const none = await app.inject({ url });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(app.serviceCallers.names).toEqual(['operator', 'gateway']);
    await app.close();
  });

  it('documents the scope it guards as taking the service credential', async () => {
    const app = sampleApp();
    await app.ready();
    const document = app.swagger() as { paths: Record<string, { get: { security: unknown } }> };
    expect(document.paths['/v1/tenants/{tenant}/things']?.get.security).toEqual([{ serviceToken: [] }]);
    await app.close();
  });
});

describe('the tenant gate plugin (the operator runtime record)', () => {
  it('serves a Ready tenant and refuses suspended (403), provisioning (503) and unknown (404) ones', async () => {
    const app = sampleApp();
    const status = async (tenant: string) => {
      const response = await app.inject({ url: `/v1/tenants/${tenant}/things`, headers: asOperator });
      return [response.statusCode, response.json().type] as const;
    };
    expect((await status(tenants.ready))[0]).toBe(200);
    expect(await status(tenants.suspended)).toEqual([403, 'https://parley.dev/problems/tenant-suspended']);
    expect(await status(tenants.provisioning)).toEqual([
      503,
      'https://parley.dev/problems/tenant-provisioning',
    ]);
    expect(await status(tenants.unknown)).toEqual([404, 'https://parley.dev/problems/unknown-tenant']);
    await app.close();
  });

  it('follows a service policy of its own (a suspended tenant served but for audit reads)', async () => {
    const policy: TenantGatePolicy = (status, request) =>
      status === 'Suspended' && !(request.routeUrl ?? '').includes('/audit/')
        ? undefined
        : serveReadyTenants(status, request);
    const app = sampleApp(policy);
    const duty = await app.inject({ url: `/v1/tenants/${tenants.suspended}/things`, headers: asOperator });
    expect(duty.statusCode).toBe(200);
    const read = await app.inject({
      url: `/v1/tenants/${tenants.suspended}/audit/things`,
      headers: asOperator,
    });
    expect(read.statusCode).toBe(403);
    await app.close();
  });

  it('sees a suspension on the next request when nothing is cached', async () => {
    const gate = new TenantGate(redis.client, { cacheMs: 0 });
    const tenant = `kit-flip-${suffix}`;
    await writeTenantRuntimeRecord(redis.client, tenant, {
      status: 'Ready',
      plan: 'team',
      quotas: { users: 5, storageGiB: 1, messagesPerSecond: 1 },
      generation: 1,
    });
    try {
      await expect(gate.assertServed(tenant)).resolves.toBeUndefined();
      await redis.client.hset(tenantRuntimeKey(tenant), 'status', 'Suspended');
      await expect(gate.assertServed(tenant)).rejects.toMatchObject({ status: 403 });
    } finally {
      await redis.client.del(tenantRuntimeKey(tenant));
    }
  });

  it('says who refused in problem details a client can switch on', () => {
    expect(tenantRefusals.unknown('No provisioned organisation x').toProblem()).toMatchObject({
      status: 404,
      type: 'https://parley.dev/problems/unknown-tenant',
      detail: 'No provisioned organisation x',
    });
  });
});

describe('workers', () => {
  it('start in order and stop in order, past one that fails to stop', async () => {
    const events: string[] = [];
    const make = (name: string, failStop = false): Worker => ({
      name,
      start: () => void events.push(`start ${name}`),
      stop: async () => {
        if (failStop) throw new Error('broker gone');
        events.push(`stop ${name}`);
      },
    });
    const workers = [make('consumer'), make('relay', true), make('sweeper')];
    await startWorkers(workers, logger);
    await stopWorkers(workers, logger);
    expect(events).toEqual([
      'start consumer',
      'start relay',
      'start sweeper',
      'stop consumer',
      'stop sweeper',
    ]);
  });

  it('stop the ones already started when a later one fails to start, and throw', async () => {
    const events: string[] = [];
    const workers: Worker[] = [
      {
        name: 'relay',
        start: () => void events.push('start relay'),
        stop: async () => void events.push('stop relay'),
      },
      {
        name: 'consumer',
        start: async () => {
          throw new Error('no broker');
        },
        stop: async () => void events.push('stop consumer'),
      },
    ];
    await expect(startWorkers(workers, logger)).rejects.toThrow('no broker');
    expect(events).toEqual(['start relay', 'stop relay']);
  });
});
