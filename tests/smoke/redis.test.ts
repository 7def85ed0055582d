import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { stackSetting, uniqueSuffix } from '../setup/stack-env.ts';

describe('redis', () => {
  const admin = new Redis(stackSetting('REDIS_URL'));
  const user = `smoke-${uniqueSuffix()}`;

  afterAll(async () => {
    await admin.acl('DELUSER', user);
    admin.disconnect();
  });

  it('sets and gets a key', async () => {
    const key = `t:demo:smoke:${uniqueSuffix()}`;
    await admin.set(key, 'hello', 'EX', 60);
    expect(await admin.get(key)).toBe('hello');
  });

  it("limits a tenant's ACL user to its prefix", async () => {
    // The shape the operator gives each tenant: its keys and channels, nothing dangerous.
    await admin.acl(
      'SETUSER',
      user,
      'reset',
      'on',
      '>tenant-secret',
      '~t:demo:*',
      '&t:demo:*',
      '+@all',
      '-@dangerous',
    );
    const url = new URL(stackSetting('REDIS_URL'));
    // Without +info the ready check's INFO is refused, so it is off for tenant users.
    const tenant = new Redis({
      host: url.hostname,
      port: Number(url.port),
      username: user,
      password: 'tenant-secret',
      enableReadyCheck: false,
      maxRetriesPerRequest: 1,
    });
    try {
      await tenant.set('t:demo:smoke:own', 'ok', 'EX', 60);
      expect(await tenant.get('t:demo:smoke:own')).toBe('ok');
      await expect(tenant.set('t:other:smoke', 'nope')).rejects.toThrow(/NOPERM/);
      await expect(tenant.get('global-key')).rejects.toThrow(/NOPERM/);
    } finally {
      tenant.disconnect();
    }
  });
});
