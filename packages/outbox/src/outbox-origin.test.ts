// Whose an outbox is, from its database's name alone (no server needed).
import { describe, expect, it } from 'vitest';
import { outboxOrigin } from './outbox-origin.ts';

describe('outboxOrigin', () => {
  it("reads a tenant's database back to the tenant, '_' to '-'", () => {
    expect(outboxOrigin('parley_acme')).toEqual({ kind: 'tenant', tenant: 'acme' });
    expect(outboxOrigin('parley_acme_corp')).toEqual({ kind: 'tenant', tenant: 'acme-corp' });
  });

  it('knows the platform database, and only the ones it is told', () => {
    expect(outboxOrigin('parley_platform')).toEqual({ kind: 'platform' });
    expect(outboxOrigin('parley_keys_test', ['parley_keys_test'])).toEqual({ kind: 'platform' });
    expect(outboxOrigin('parley_platform', ['parley_keys_test'])).toMatchObject({ kind: 'unknown' });
  });

  it('vouches for no other database', () => {
    for (const name of ['auth_test_x', 'parley_', 'parley__x', 'parley_x_', 'parley_Acme', 'parley_admin'])
      expect(outboxOrigin(name)).toEqual({ kind: 'unknown', database: name });
  });
});
