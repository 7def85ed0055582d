/**
 * The tenant's own Kafka principal: a SCRAM-SHA-512 user (password from the tenant's Secret),
 * PREFIXED ACLs that allow it everything on topics and consumer groups under `parley.<tenant>.`
 * and nothing else (the broker's StandardAuthorizer denies what no ACL allows), and client quotas
 * derived from the tenant's message rate. ACLs through kafkajs (createAcls is idempotent: the
 * broker ignores an ACL that already exists); SCRAM users and quotas through @platformatic/kafka.
 */
import type { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Admin } from 'kafkajs';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from '../../kafka-acl-enums.ts';
import type { DesiredTenant } from '../desired-state.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';
import { setUserQuotas, upsertScramUser } from './kafka-principal.ts';

export function tenantAcls(desired: DesiredTenant) {
  return desired.kafka.acls.map((acl) => ({
    resourceType: acl.resourceType === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: acl.prefix,
    resourcePatternType: ResourcePatternTypes.PREFIXED,
    principal: `User:${desired.kafka.principal}`,
    host: '*',
    operation: AclOperationTypes.ALL,
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

export class KafkaPrincipalStep implements TenantStep {
  readonly name = 'KafkaPrincipal';
  readonly #admin: Admin;
  readonly #platformatic: PlatformaticAdmin;

  constructor(admin: Admin, platformatic: PlatformaticAdmin) {
    this.#admin = admin;
    this.#platformatic = platformatic;
  }

  async apply({ desired, credentials }: TenantStepContext): Promise<StepOutcome> {
    const { principal, quotas } = desired.kafka;
    await upsertScramUser(this.#platformatic, principal, credentials.kafkaPassword);
    await this.#admin.createAcls({ acl: tenantAcls(desired) });
    await setUserQuotas(this.#platformatic, principal, quotas);
    return ready(
      'Provisioned',
      `SCRAM-SHA-512 user ${principal}; ACLs on topics and groups prefixed ${desired.kafka.acls[0]?.prefix}; quotas produce ${quotas.producerByteRate} B/s, fetch ${quotas.consumerByteRate} B/s`,
    );
  }
}
