import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { probeSearchSecurity, searchRole } from './search-security.ts';

/** Only the one call the probe makes; the real server's answer is tested in test/tenant-provisioning. */
const answering = (outcome: () => Promise<unknown>) =>
  ({ security: { authenticate: outcome } }) as unknown as ElasticsearchClient;
const failing = (statusCode: number, body: unknown) =>
  answering(async () => {
    throw Object.assign(new Error('es'), { meta: { statusCode, body } });
  });

describe('search security', () => {
  it("a tenant's Elasticsearch role reads its own index and nothing else", () => {
    expect(searchRole('parley-acme-messages')).toEqual({
      cluster: [],
      indices: [{ names: ['parley-acme-messages'], privileges: ['read', 'view_index_metadata'] }],
    });
  });

  it('takes a server without a security module, or with security disabled, as no security and quotes it', async () => {
    const none = await probeSearchSecurity(
      failing(400, { error: 'no handler found for uri [/_security/_authenticate] and method [GET]' }),
    );
    expect(none).toEqual({
      supported: false,
      answer: expect.stringMatching(/^HTTP 400: .*no handler found for uri/),
    });
    const local = await probeSearchSecurity(
      failing(405, {
        error: 'Incorrect HTTP method for uri [/_security/_authenticate] and method [GET], allowed: [POST]',
        status: 405,
      }),
    );
    expect(local).toEqual({
      supported: false,
      answer: expect.stringMatching(/^HTTP 405: .*Incorrect HTTP method/),
    });
    const disabled = await probeSearchSecurity(
      failing(500, {
        error: {
          type: 'security_exception',
          reason: 'Security must be explicitly enabled when using a [basic] license.',
        },
      }),
    );
    expect(disabled.supported).toBe(false);
    expect(await probeSearchSecurity(answering(async () => ({ body: { username: 'elastic' } })))).toEqual({
      supported: true,
    });
  });

  it('never mistakes a refused operator (401) for a server without security', async () => {
    await expect(
      probeSearchSecurity(
        failing(401, { error: { type: 'security_exception', reason: 'unable to authenticate' } }),
      ),
    ).rejects.toThrow();
  });
});
