/**
 * The tenant's own Kafka principal: a SCRAM-SHA-512 user (password from the tenant's Secret),
 * per-stream ACLs as desired-state.ts's TENANT_STREAM_ACCESS says (read its messages, members and
 * lifecycle; read and write its `app` stream; nothing on the streams Parley's services trust:
 * audit, gdpr, keys, notifications) and its consumer groups under `parley.<tenant>.`, and nothing
 * else (the broker's StandardAuthorizer denies what no ACL allows; an extra ACL found on the
 * principal is removed), and client quotas derived from the tenant's message rate. SCRAM users,
 * quotas and ACLs through @platformatic/kafka: kafkajs's admin sends a Metadata request before
 * every ACL call (`cluster.refreshMetadata()`), and with no target topics that request asks for
 * every topic of the cluster (55 ms of the broker at 8,000 topics: most of a settled reconcile's
 * Kafka cost); @platformatic/kafka sends the ACL request alone.
 */
import type { Acl, AclFilter, Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { AclEntry } from 'kafkajs';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from '../../kafka-acl-enums.ts';
import type { DesiredTenant } from '../desired-state.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

const RESOURCE = { TOPIC: AclResourceTypes.TOPIC, GROUP: AclResourceTypes.GROUP } as const;
const PATTERN = { LITERAL: ResourcePatternTypes.LITERAL, PREFIXED: ResourcePatternTypes.PREFIXED } as const;

/** Every ACL the tenant's principal should have: one per resource and operation. */
export function tenantAcls(desired: DesiredTenant): AclEntry[] {
  return desired.kafka.acls.flatMap((acl) =>
    acl.operations.map((operation) => ({
      resourceType: RESOURCE[acl.resourceType],
      resourceName: acl.name,
      resourcePatternType: PATTERN[acl.patternType],
      principal: `User:${desired.kafka.principal}`,
      host: '*',
      operation: AclOperationTypes[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

const aclKey = (a: {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}) =>
  [
    a.resourceType,
    a.resourceName,
    a.resourcePatternType,
    a.principal,
    a.host,
    a.operation,
    a.permissionType,
  ].join('|');

/**
 * A DeleteAcls filter that matches every ACL naming the tenant's principal, on any resource and
 * host (an unset name or host is Kafka's null: any): what revoking the tenant removes, including
 * grants added by hand and those of an older layout (before per-stream ACLs, one PREFIXED grant).
 */
export function principalAclFilter(desired: DesiredTenant) {
  return {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    principal: `User:${desired.kafka.principal}`,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
}

/** Every ACL the broker holds for `principal` (e.g. User:tenant-acme), on any host, flattened. */
export async function describePrincipalAcls(admin: PlatformaticAdmin, principal: string) {
  const resources = await admin.describeAcls({
    filter: {
      resourceType: AclResourceTypes.ANY,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal,
      host: null,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    } as AclFilter,
  });
  return resources.flatMap((r) =>
    r.acls.map((acl) => ({
      principal: acl.principal,
      host: acl.host,
      operation: acl.operation as number,
      permissionType: acl.permissionType as number,
      resourceType: r.resourceType as number,
      resourcePatternType: r.resourcePatternType as number,
      resourceName: r.resourceName,
    })),
  );
}

export type DescribedAcl = Awaited<ReturnType<typeof describePrincipalAcls>>[number];

/** Creates ACLs (idempotent at the broker: one already there is not added twice). */
export async function createAcls(admin: PlatformaticAdmin, acls: readonly DescribedAcl[]): Promise<void> {
  if (acls.length > 0) await admin.createAcls({ creations: acls.map(toPlatformaticAcl) });
}

/** Deletes exactly these ACLs (each one a filter that matches only itself). */
export async function deleteAcls(admin: PlatformaticAdmin, acls: readonly DescribedAcl[]): Promise<void> {
  if (acls.length > 0) await admin.deleteAcls({ filters: acls.map(toPlatformaticAcl) });
}

function toPlatformaticAcl(a: DescribedAcl): Acl {
  return {
    resourceType: a.resourceType,
    resourceName: a.resourceName,
    resourcePatternType: a.resourcePatternType,
    principal: a.principal,
    host: a.host,
    operation: a.operation,
    permissionType: a.permissionType,
  } as Acl;
}

/**
 * What makes the principal's ACLs exactly the desired ones: the missing ones to create
 * (createAcls is idempotent) and any other ACL naming the principal (a wider grant added by
 * hand) to delete. `existing` may hold other principals' ACLs; they are ignored.
 */
export function aclChanges(desired: DesiredTenant, existing: readonly DescribedAcl[]) {
  const wanted: DescribedAcl[] = tenantAcls(desired);
  const principal = `User:${desired.kafka.principal}`;
  const own = existing.filter((a) => a.principal === principal);
  const wantedKeys = new Set(wanted.map(aclKey));
  const existingKeys = new Set(own.map(aclKey));
  return {
    missing: wanted.filter((a) => !existingKeys.has(aclKey(a))),
    stale: own.filter((a) => !wantedKeys.has(aclKey(a))),
  };
}

/** The ACLs of one principal, alone (no other reconcile to share the calls with). */
export async function reconcileAcls(
  admin: PlatformaticAdmin,
  desired: DesiredTenant,
): Promise<{ created: number; removed: number }> {
  const existing = await describePrincipalAcls(admin, `User:${desired.kafka.principal}`);
  const { missing, stale } = aclChanges(desired, existing);
  await createAcls(admin, missing);
  await deleteAcls(admin, stale);
  return { created: missing.length, removed: stale.length };
}

/** What the KafkaPrincipal step needs from Kafka (CoalescedPrincipalAdmin shares calls across reconciles). */
export interface PrincipalAdmin {
  upsertScramUser(user: string, password: string): Promise<void>;
  reconcileAcls(desired: DesiredTenant): Promise<{ created: number; removed: number }>;
  setUserQuotas(user: string, quotas: DesiredTenant['kafka']['quotas']): Promise<void>;
}

export class KafkaPrincipalStep implements TenantStep {
  readonly name = 'KafkaPrincipal';
  readonly #admin: PrincipalAdmin;

  constructor(admin: PrincipalAdmin) {
    this.#admin = admin;
  }

  async apply({ desired, credentials, event }: TenantStepContext): Promise<StepOutcome> {
    const { principal, quotas } = desired.kafka;
    // Three independent writes: overlap their round trips (the broker orders them anyway).
    const [, acls] = await Promise.all([
      this.#admin.upsertScramUser(principal, credentials.kafkaPassword),
      this.#admin.reconcileAcls(desired),
      this.#admin.setUserQuotas(principal, quotas),
    ]);
    if (acls.removed > 0)
      event(
        'Warning',
        'AclsRemoved',
        `Removed ${acls.removed} Kafka ACL(s) of ${principal} that the spec does not grant`,
      );
    return ready(
      'Provisioned',
      `SCRAM-SHA-512 user ${principal}; ACLs: ${aclSummary(desired)}; quotas produce ${quotas.producerByteRate} B/s, fetch ${quotas.consumerByteRate} B/s`,
    );
  }
}

/** E.g. `parley.acme.messages read; parley.acme.app read/write; groups parley.acme.* read`. */
export function aclSummary(desired: DesiredTenant): string {
  return desired.kafka.acls
    .map((acl) => {
      const what = acl.resourceType === 'GROUP' ? `groups ${acl.name}*` : acl.name;
      const how = acl.operations.includes('WRITE') ? 'read/write' : 'read';
      return `${what} ${how}`;
    })
    .join(', ');
}
