import { describe, expect, it } from 'vitest';
import { createServiceApp } from './http/create-service-app.ts';
import { createCapturingLogger } from './testing/index.ts';

describe('logger', () => {
  it('writes JSON with the service name and redacts secrets wherever they sit', () => {
    const { logger, lines } = createCapturingLogger('auth');
    logger.info({ password: 'hunter2', user: { refreshToken: 'r-1', email: 'a@b.c' } }, 'login');
    const [line] = lines();
    expect(line).toMatchObject({ service: 'auth', level: 'info', msg: 'login' });
    expect(JSON.stringify(line)).not.toContain('hunter2');
    expect(JSON.stringify(line)).not.toContain('r-1');
    expect(line?.user).toMatchObject({ email: 'a@b.c', refreshToken: '[redacted]' });
  });

  // Primitives reach the redactor unchanged (patches/@pinojs+redact+0.4.0.patch returns them at once).
  it('keeps plain values and child bindings as they are, and still redacts secrets under a child', () => {
    const { logger, lines } = createCapturingLogger('auth');
    const child = logger.child({ requestId: 'req-1', attempt: 2, cached: null });
    child.info({ count: 3, ok: true, nested: { apiKey: 'k-1', kept: 'v' }, token: 't-1' }, 'done');
    const [line] = lines();
    expect(line).toMatchObject({ requestId: 'req-1', attempt: 2, cached: null, count: 3, ok: true });
    expect(line?.nested).toEqual({ apiKey: '[redacted]', kept: 'v' });
    expect(line?.token).toBe('[redacted]');
    expect(JSON.stringify(line)).not.toMatch(/k-1|t-1/);
  });

  // An incoming webhook's URL is its credential; Fastify logs every request's URL.
  it("logs an incoming webhook's request line without its secret, other URLs whole", async () => {
    const { logger, lines } = createCapturingLogger('gateway');
    const app = createServiceApp({ logger, service: 'gateway' });
    app.post('/api/v1/hooks/:tenant/:id/:secret', async () => ({ ok: true }));
    app.get('/api/v1/tenants/:tenant/me', async () => ({ ok: true }));
    await app.inject({ method: 'POST', url: '/api/v1/hooks/acme/wh-1/s3cr3t-value?x=1', payload: {} });
    await app.inject({ method: 'GET', url: '/api/v1/tenants/acme/me' });
    await app.close();
    const text = JSON.stringify(lines());
    expect(text).toContain('/api/v1/hooks/acme/wh-1/[redacted]?x=1');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).toContain('/api/v1/tenants/acme/me');
  });
});
