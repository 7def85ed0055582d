/** Service credentials: public defaults refused outside development, one credential per caller. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, serviceSettings } from './config.ts';
import { createServiceApp } from './http/create-service-app.ts';
import { requireServiceCredential, ServiceCallers } from './http/service-auth.ts';
import { developmentServiceToken, parseServiceTokens } from './service-credentials.ts';
import { createSilentLogger } from './testing/index.ts';

const schema = Type.Object(serviceSettings(3009, 'crypto'));
const secret = (name: string) => `${name}-a-real-secret-0123456789`;

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the config loaded');
}

describe('service credentials in settings', () => {
  it('a service refuses to start in production with the default token', async () => {
    // The process a deployment runs: nothing says development, no credential set.
    const fixture = fileURLToPath(new URL('./testing/config-main.fixture.ts', import.meta.url));
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.PARLEY_ENV;
    delete env.SERVICE_TOKEN;
    delete env.SERVICE_TOKENS;
    const run = promisify(execFile)(process.execPath, [fixture], { env });
    await expect(run).rejects.toMatchObject({
      code: 78,
      stderr: expect.stringMatching(/SERVICE_TOKEN: is a public development default/),
    });
    // The same process with credentials of its own starts.
    const own = promisify(execFile)(process.execPath, [fixture], {
      env: { ...env, SERVICE_TOKEN: secret('x'), SERVICE_TOKENS: `auth=${secret('auth')}` },
    });
    await expect(own).resolves.toMatchObject({ stdout: 'configured\n' });
  });

  it('outside development the public defaults are refused, and production is the default', () => {
    // env-schema merges process.env into the data, so the stack's PARLEY_ENV is overridden here.
    expect(configError({ PARLEY_ENV: 'production' }).variables.sort()).toEqual([
      'SERVICE_TOKEN',
      'SERVICE_TOKENS',
    ]);
    expect((schema.properties.PARLEY_ENV as { default?: unknown }).default).toBe('production');
    // One public token among real ones is enough to refuse.
    const mixed = `auth=${secret('auth')},operator=${developmentServiceToken('operator')}`;
    expect(
      configError({ PARLEY_ENV: 'production', SERVICE_TOKEN: secret('crypto'), SERVICE_TOKENS: mixed })
        .variables,
    ).toEqual(['SERVICE_TOKENS']);
  });

  it('development allows the defaults, and each service has a development credential of its own', () => {
    const config = loadConfig(schema, { PARLEY_ENV: 'development' });
    expect(config.SERVICE_TOKEN).toBe(developmentServiceToken('crypto'));
    const callers = ServiceCallers.parse(config.SERVICE_TOKENS);
    expect(callers.identify(developmentServiceToken('compliance'))).toBe('compliance');
    expect(callers.identify(developmentServiceToken('auth'))).toBe('auth');
  });

  it('a malformed SERVICE_TOKENS is refused in any environment, naming the variable', () => {
    for (const spec of [
      'auth',
      `auth=short`,
      `auth=${secret('a')},auth=${secret('b')}`,
      `a=${secret('s')},b=${secret('s')}`,
    ]) {
      expect(() => parseServiceTokens(spec)).toThrow();
      expect(configError({ PARLEY_ENV: 'development', SERVICE_TOKENS: spec }).variables).toEqual([
        'SERVICE_TOKENS',
      ]);
    }
  });
});

describe('requireServiceCredential with callers', () => {
  const callers = ServiceCallers.of({ operator: secret('operator'), gateway: secret('gateway') });
  const app = createServiceApp({ service: 'test', logger: createSilentLogger(), readiness: {} });
  app.get(
    '/internal/x',
    { onRequest: requireServiceCredential(callers, { allow: ['operator'] }) },
    async (request) => ({
      caller: request.serviceCaller,
    }),
  );

  it("the gateway's credential cannot open an operator-only internal route", async () => {
    const call = (token?: string) =>
      app.inject({ method: 'GET', url: '/internal/x', headers: token ? { 'x-service-token': token } : {} });
    expect((await call(secret('operator'))).json()).toEqual({ caller: 'operator' });
    const gateway = await call(secret('gateway'));
    expect(gateway.statusCode).toBe(403);
    expect(gateway.json().type).toMatch(/forbidden$/);
    expect((await call('not-a-known-token-at-all')).statusCode).toBe(401);
    expect((await call()).statusCode).toBe(401);
  });
});
