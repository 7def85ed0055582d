import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../api/resources.ts';
import { AclOperationTypes, ResourcePatternTypes } from '../../kafka-acl-enums.ts';
import { desiredTenant } from '../desired-state.ts';
import { aclChanges, type DescribedAcl, principalAclFilter, tenantAcls } from './kafka-principal-step.ts';

function desired(name: string) {
  const tenant: Tenant = {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name, namespace: 'parley', generation: 1, uid: name },
    spec: { displayName: name, plan: 'team' },
  };
  return desiredTenant(tenant);
}

const described = (acls: ReturnType<typeof tenantAcls>): DescribedAcl[] => acls as unknown as DescribedAcl[];

describe('aclChanges (one ACL listing shared by many tenants)', () => {
  it('asks for every ACL of a new principal and ignores other principals in the listing', () => {
    const acme = desired('acme');
    const other = desired('other');
    const { missing, stale } = aclChanges(acme, described(tenantAcls(other)));
    expect(missing).toEqual(tenantAcls(acme));
    expect(stale).toEqual([]);
  });

  it('keeps what is there and removes a grant the spec does not make', () => {
    const acme = desired('acme');
    const wider = { ...tenantAcls(acme)[0], resourceName: 'parley.', operation: 2 } as DescribedAcl;
    const { missing, stale } = aclChanges(acme, [...described(tenantAcls(acme)), wider]);
    expect(missing).toEqual([]);
    expect(stale).toEqual([wider]);
  });

  it('takes away the PREFIXED grant of the earlier layout (write on every parley.<tenant>. topic)', () => {
    const acme = desired('acme');
    const old = ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'].map(
      (op) =>
        ({
          ...tenantAcls(acme)[0],
          resourceName: 'parley.acme.',
          resourcePatternType: ResourcePatternTypes.PREFIXED,
          operation: AclOperationTypes[op as 'READ'],
        }) as DescribedAcl,
    );
    const { missing, stale } = aclChanges(acme, old);
    expect(stale).toEqual(old);
    expect(missing).toEqual(tenantAcls(acme));
  });
});

describe('principalAclFilter (what revoking the tenant deletes)', () => {
  it("matches every ACL of the tenant's principal and only its", () => {
    const filter = principalAclFilter(desired('acme'));
    expect(filter.principal).toBe('User:tenant-acme');
    expect(filter).not.toHaveProperty('resourceName');
    expect(filter).not.toHaveProperty('host');
  });
});
