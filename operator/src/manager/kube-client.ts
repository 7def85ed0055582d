/**
 * The operator's Kubernetes API calls for its custom resources: read one object, merge-patch its
 * status (the status subresource) or its metadata (finalizers). Reconcilers read the object from
 * the API server rather than the informer's cache, so a reconcile always sees the latest
 * generation and status it wrote itself.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { GROUP, type KindInfo, VERSION } from '../api/resources.ts';

export interface Kube {
  config: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

/**
 * @kubernetes/client-node 2.0.1 builds a new undici Agent for every request (its
 * applySecurityAuthentication calls createDispatcher each time), so every API call paid a TLS
 * handshake - the largest CPU cost in the operator's profile under load - and idle agents piled
 * up until their sockets timed out. One KubeConfig here has one cluster and one user, so one
 * dispatcher can serve every call and keep its connections alive.
 */
function reuseDispatcher(config: KubeConfig): void {
  const target = config as unknown as { createDispatcher(cluster: unknown, options: unknown): unknown };
  if (typeof target.createDispatcher !== 'function') return; // a later client-node may differ
  const build = target.createDispatcher.bind(config);
  let dispatcher: unknown;
  target.createDispatcher = (cluster, options) => {
    dispatcher ??= build(cluster, options);
    return dispatcher;
  };
}

export function connectKube(kubeconfigPath: string | undefined): Kube {
  const config = new KubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  reuseDispatcher(config);
  return {
    config,
    custom: config.makeApiClient(CustomObjectsApi),
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    events: config.makeApiClient(EventsV1Api),
  };
}

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The HTTP status of a client-node ApiException, or undefined for other errors. */
export function apiStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export async function getObject<T>(
  kube: Kube,
  kind: KindInfo,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  try {
    return (await kube.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: kind.plural,
      namespace,
      name,
    })) as T;
  } catch (error) {
    if (apiStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function patchStatus(
  kube: Kube,
  kind: KindInfo,
  namespace: string,
  name: string,
  status: object,
): Promise<void> {
  await kube.custom.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, plural: kind.plural, namespace, name, body: { status } },
    mergePatch,
  );
}

/** Replaces metadata.finalizers, guarded by resourceVersion so a concurrent edit is not lost. */
export async function setFinalizers(
  kube: Kube,
  kind: KindInfo,
  object: { metadata: { namespace: string; name: string; resourceVersion?: string } },
  finalizers: string[],
): Promise<void> {
  await kube.custom.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      plural: kind.plural,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      body: { metadata: { finalizers, resourceVersion: object.metadata.resourceVersion } },
    },
    mergePatch,
  );
}
