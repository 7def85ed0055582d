/**
 * Tenant lifecycle: what the operator announces on kafkaTopic(tenant, 'lifecycle') when a tenant
 * becomes usable, is suspended or resumed, changes quotas, is deleted, or is adopted (a retained
 * tenant's data taken over). Services keep their caches of the tenant's runtime record (Redis)
 * fresh from these, and the compliance service audits them. Each carries the generation of the
 * Tenant resource it came from, so a consumer can drop an older event that arrives after a newer one.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from '../event-envelope.ts';

export const TenantPlanSchema = Type.Union([
  Type.Literal('free'),
  Type.Literal('team'),
  Type.Literal('enterprise'),
]);

export const TenantQuotasSchema = Type.Object(
  {
    users: Type.Integer({ minimum: 1 }),
    storageGiB: Type.Integer({ minimum: 1 }),
    messagesPerSecond: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type TenantQuotas = Static<typeof TenantQuotasSchema>;

export const DeletionPolicySchema = Type.Union([
  Type.Literal('Retain'),
  Type.Literal('Delete'),
  Type.Literal('CryptoShred'),
]);

const Generation = Type.Integer({ minimum: 0, description: 'metadata.generation of the Tenant resource' });

export const TenantProvisioned = defineEvent(
  'tenancy.tenant.provisioned.v1',
  Type.Object(
    {
      displayName: Type.String({ minLength: 1, maxLength: 128 }),
      plan: TenantPlanSchema,
      quotas: TenantQuotasSchema,
      suspended: Type.Boolean(),
      generation: Generation,
    },
    { additionalProperties: false },
  ),
);

export const TenantSuspensionChanged = defineEvent(
  'tenancy.tenant.suspension-changed.v1',
  Type.Object({ suspended: Type.Boolean(), generation: Generation }, { additionalProperties: false }),
);

export const TenantDeleted = defineEvent(
  'tenancy.tenant.deleted.v1',
  Type.Object(
    { deletionPolicy: DeletionPolicySchema, generation: Generation },
    { additionalProperties: false },
  ),
);

const TenantOwnerSchema = Type.Object(
  {
    namespace: Type.String({ minLength: 1, maxLength: 63 }),
    name: Type.String({ minLength: 1, maxLength: 253 }),
    uid: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

/**
 * A Retained (deleted) tenant's data taken over by a new Tenant object: only in the namespace the
 * retained one lived in, and only when the new Tenant names it (spec.adoptRetained). Announced so
 * the take-over of an organisation's data is on record, not merely possible.
 */
export const TenantAdopted = defineEvent(
  'tenancy.tenant.adopted.v1',
  Type.Object(
    { previousOwner: TenantOwnerSchema, owner: TenantOwnerSchema, generation: Generation },
    { additionalProperties: false },
  ),
);
