/** What every crypto route shares: the keyring, the tenant path parameter, base64 helpers. */

import { type KeyMetadataBody, KeyNameSchema } from '@parley/contracts';
import type { KeyMetadata, Keyring } from '@parley/keyring';
import { TenantIdSchema } from '@parley/tenancy';
import { Type } from 'typebox';

export interface RouteDeps {
  keyring: Keyring;
}

export const TenantParams = Type.Object({ tenant: TenantIdSchema });
export const TenantKeyParams = Type.Object({ tenant: TenantIdSchema, keyName: KeyNameSchema });

export const fromBase64 = (value: string): Buffer => Buffer.from(value, 'base64');
export const toBase64 = (value: Uint8Array): string => Buffer.from(value).toString('base64');
export const optionalBase64 = (value: string | undefined): Buffer | undefined =>
  value === undefined ? undefined : fromBase64(value);

/** Key metadata as JSON: dates as ISO strings (the schema's date-time). */
export function metadataBody(meta: KeyMetadata): KeyMetadataBody {
  return {
    ...meta,
    destroyAt: meta.destroyAt?.toISOString(),
    destroyedAt: meta.destroyedAt?.toISOString(),
    createdAt: meta.createdAt.toISOString(),
    updatedAt: meta.updatedAt.toISOString(),
    versions: meta.versions.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })),
  };
}
