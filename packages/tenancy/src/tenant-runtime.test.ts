import { describe, expect, it } from 'vitest';
import {
  decodeTenantRuntimeRecord,
  encodeTenantRuntimeRecord,
  TENANT_STATUSES,
  type TenantRuntimeRecord,
  TenantRuntimeStatusCache,
  tenantRuntimeKey,
} from './tenant-runtime.ts';

// A fake record source is enough here: this is the cache's own logic, not a store integration
// (tests/integration/operator-serves-tenant.test.ts joins the operator's real record in Redis to
// the real services that read it).
function source(records: Record<string, string>) {
  const calls: string[] = [];
  return {
    calls,
    hget: async (key: string) => {
      calls.push(key);
      return records[key] ?? null;
    },
  };
}

describe('TenantRuntimeStatusCache', () => {
  it('reads the status the operator published and remembers it briefly', async () => {
    const records = source({ [tenantRuntimeKey('acme')]: 'Suspended' });
    const cache = new TenantRuntimeStatusCache(records, 60_000);
    expect(await cache.status('acme')).toBe('Suspended');
    expect(await cache.status('acme')).toBe('Suspended');
    expect(records.calls).toEqual(['t:acme:runtime']);
  });

  it('treats a missing or unknown status as no record', async () => {
    const cache = new TenantRuntimeStatusCache(source({ [tenantRuntimeKey('odd')]: 'Active' }));
    expect(await cache.status('ghost')).toBeNull();
    expect(await cache.status('odd')).toBeNull();
  });
});

describe('the runtime record codec', () => {
  it('reads back every status it writes, with the plan, quotas and generation', () => {
    for (const status of TENANT_STATUSES) {
      const record: TenantRuntimeRecord = {
        status,
        plan: 'team',
        quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
        generation: 3,
      };
      expect(decodeTenantRuntimeRecord(encodeTenantRuntimeRecord(record))).toEqual(record);
    }
  });

  it('decodes a hash with a status outside the vocabulary as no record', () => {
    expect(decodeTenantRuntimeRecord({ status: 'Active', plan: 'team' })).toBeNull();
    expect(decodeTenantRuntimeRecord({})).toBeNull();
  });
});
