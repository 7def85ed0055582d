/**
 * Where a tenant's credentials live in a cluster, so that the operator never reads a Secret it
 * does not own:
 * - the store: Secret `parley-credentials-<id>` in the operator's own namespace
 *   (OPERATOR_NAMESPACE), the only Secrets the operator reads. Passwords (and the MinIO secret key)
 *   are generated once and then read back from here, so every reconcile sets the same password
 *   (idempotent) and services mounting the tenant's Secret keep working;
 * - the tenant's Secret `parley-tenant-<id>-credentials` next to the Tenant (owned by it, so
 *   Kubernetes' garbage collector removes it with the Tenant): written, never read, by an
 *   unconditional update (a no-op at the API server when nothing changed) or a create.
 * So the RBAC needs `get` on Secrets only in the operator's namespace, and `create`/`update`
 * elsewhere, which the chart's ValidatingAdmissionPolicy narrows to these two names with the
 * operator's labels (and, for the tenant's Secret, a Tenant owner): see charts/parley-operator.
 */
import { isDeepStrictEqual } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import { API_VERSION, type Tenant } from '../api/resources.ts';
import { apiStatus, type Kube } from '../manager/kube-client.ts';
import { newPassword, type TenantCredentials } from './credentials.ts';
import type { DesiredTenant } from './desired-state.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'parley-operator';
export const TENANT_LABEL = 'parley.dev/tenant';

export function credentialStoreName(tenant: string): string {
  return `parley-credentials-${tenant}`;
}

function labels(tenant: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, 'app.kubernetes.io/part-of': 'parley', [TENANT_LABEL]: tenant };
}

function decode(secret: V1Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

const encode = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

/** Reads the tenant's credential store, generating any password it lacks (nothing is written here). */
export async function readOrGenerateCredentials(
  kube: Kube,
  desired: DesiredTenant,
  storeNamespace: string,
): Promise<{ credentials: TenantCredentials; existing: V1Secret | undefined }> {
  let existing: V1Secret | undefined;
  try {
    existing = await kube.core.readNamespacedSecret({
      namespace: storeNamespace,
      name: credentialStoreName(desired.id),
    });
  } catch (error) {
    if (apiStatus(error) !== 404) throw error;
  }
  const read = (key: string) => (existing && decode(existing, key)) ?? newPassword();
  return {
    existing,
    credentials: {
      redisPassword: read('REDIS_PASSWORD'),
      kafkaPassword: read('KAFKA_PASSWORD'),
      mongoPassword: read('MONGO_PASSWORD'),
      s3SecretKey: read('S3_SECRET_KEY'),
      searchPassword: read('ELASTICSEARCH_PASSWORD'),
    },
  };
}

/**
 * Makes the store hold `data` (written only when it differs), then the tenant's Secret (always
 * written: the operator cannot read it, and a Secret deleted or edited by hand comes back).
 * Returns true when the tenant's Secret was created.
 */
export async function writeCredentials(
  kube: Kube,
  tenant: Tenant,
  desired: DesiredTenant,
  store: V1Secret | undefined,
  data: Record<string, string>,
  storeNamespace: string,
): Promise<boolean> {
  const encoded = encode(data);
  const storeBody: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: credentialStoreName(desired.id),
      namespace: storeNamespace,
      labels: labels(desired.id),
    },
    data: encoded,
  };
  if (!store) {
    await kube.core.createNamespacedSecret({ namespace: storeNamespace, body: storeBody });
  } else if (!isDeepStrictEqual({ ...(store.data ?? {}) }, encoded)) {
    storeBody.metadata = { ...storeBody.metadata, resourceVersion: store.metadata?.resourceVersion };
    await kube.core.replaceNamespacedSecret({
      namespace: storeNamespace,
      name: credentialStoreName(desired.id),
      body: storeBody,
    });
  }
  const body: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: desired.secretName,
      namespace: desired.namespace,
      labels: labels(desired.id),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: 'Tenant',
          name: tenant.metadata.name,
          uid: tenant.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data: encoded,
  };
  try {
    await kube.core.replaceNamespacedSecret({ namespace: desired.namespace, name: desired.secretName, body });
    return false;
  } catch (error) {
    if (apiStatus(error) !== 404) throw error;
  }
  await kube.core.createNamespacedSecret({ namespace: desired.namespace, body });
  return true;
}

/** Removes the store of a deleted tenant (its Secret goes with the Tenant); absent is fine. */
export async function deleteCredentialStore(
  kube: Kube,
  tenant: string,
  storeNamespace: string,
): Promise<void> {
  try {
    await kube.core.deleteNamespacedSecret({ namespace: storeNamespace, name: credentialStoreName(tenant) });
  } catch (error) {
    if (apiStatus(error) !== 404) throw error;
  }
}
