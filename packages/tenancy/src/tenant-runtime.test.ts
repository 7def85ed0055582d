import { describe, expect, it } from 'vitest';
import { TenantRuntimeStatusCache, tenantRuntimeKey } from './tenant-runtime.ts';

// A fake record source is enough here: this is the cache's own logic, not a store integration
// (the services' tests read the operator's real record in Redis).
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
    const cache = new TenantRuntimeStatusCache(source({ [tenantRuntimeKey('odd')]: 'Weird' }));
    expect(await cache.status('ghost')).toBeNull();
    expect(await cache.status('odd')).toBeNull();
  });
});
