import { describe, expect, it } from 'vitest';
import { createEvent, parseEvent } from '../event-envelope.ts';
import { TenantAdopted, TenantDeleted, TenantProvisioned, TenantSuspensionChanged } from './tenant.ts';

describe('tenancy.tenant.* events', () => {
  it('round-trips a provisioned tenant', () => {
    const payload = {
      displayName: 'Acme',
      plan: 'team' as const,
      quotas: { users: 50, storageGiB: 10, messagesPerSecond: 20 },
      suspended: false,
      generation: 3,
    };
    const event = createEvent(TenantProvisioned, { tenant: 'acme', source: 'operator', payload });
    expect(event.type).toBe('tenancy.tenant.provisioned.v1');
    expect(parseEvent(TenantProvisioned, JSON.parse(JSON.stringify(event))).payload).toEqual(payload);
  });

  it('refuses unknown plans and deletion policies', () => {
    const deleted = createEvent(TenantDeleted, {
      tenant: 'acme',
      source: 'operator',
      payload: { deletionPolicy: 'Retain', generation: 1 },
    });
    expect(() =>
      parseEvent(TenantDeleted, { ...deleted, payload: { deletionPolicy: 'Shred', generation: 1 } }),
    ).toThrow(/payload/);
    const suspended = createEvent(TenantSuspensionChanged, {
      tenant: 'acme',
      source: 'operator',
      payload: { suspended: true, generation: 2 },
    });
    expect(() =>
      parseEvent(TenantSuspensionChanged, { ...suspended, payload: { suspended: 'yes', generation: 2 } }),
    ).toThrow(/payload/);
  });

  it('names both owners of an adopted tenant, and nothing else', () => {
    const payload = {
      previousOwner: { namespace: 'acme', name: 'acme', uid: 'u-old' },
      owner: { namespace: 'acme', name: 'acme', uid: 'u-new' },
      generation: 1,
    };
    const event = createEvent(TenantAdopted, { tenant: 'acme', source: 'operator', payload });
    expect(event.type).toBe('tenancy.tenant.adopted.v1');
    expect(parseEvent(TenantAdopted, JSON.parse(JSON.stringify(event))).payload).toEqual(payload);
    expect(() =>
      parseEvent(TenantAdopted, { ...event, payload: { ...payload, owner: { ...payload.owner, extra: 1 } } }),
    ).toThrow(/payload/);
  });
});
