/**
 * One test file's operator, set up and torn down the same way everywhere: a namespace of its own
 * (so files running side by side never reconcile each other's objects), the real operator
 * watching it, the file's Tenants applied (and, unless told otherwise, waited for Ready), and
 * afterwards every Tenant deleted with the Delete policy while the operator still runs (so its
 * finalizer removes the data), the operator stopped, the topics a deletion keeps removed and the
 * namespace deleted. Registers vitest's beforeAll and afterAll: call it at the top of a file.
 */

import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll } from 'vitest';
import { buildTenantReconciler, type TenantReconcilerDeps } from '../src/build-tenant-reconciler.ts';
import { createEventRecorder } from '../src/manager/event-recorder.ts';
import { connectKube } from '../src/manager/kube-client.ts';
import { connectionFacts } from '../src/tenant/credentials.ts';
import type { TenantReconciler } from '../src/tenant/tenant-reconciler.ts';
import {
  disposableTenant,
  ensureCrdsAndNamespace,
  kubectl,
  kubectlOk,
  removeTenantTopics,
  sample,
  startTestOperator,
  type TestOperator,
  uniqueId,
  waitFor,
  waitForCondition,
} from './operator-fixture.ts';

export interface SuiteTenant {
  name: string;
  /** How the sample is edited for this tenant (default: disposableTenant). */
  edit?: (yaml: string) => string;
}

export interface OperatorSuiteOptions {
  /** The namespace's prefix, e.g. `opdrift-`. */
  prefix: string;
  /** Runs first in beforeAll, before the operator starts (e.g. choose a port its settings name). */
  prepare?: () => Promise<void>;
  /** Operator settings for this file (OPERATOR_RESYNC_MS, ...). */
  settings?: Record<string, string> | (() => Record<string, string>);
  /** Applied once the operator runs. */
  tenants?: SuiteTenant[];
  /**
   * Start the operator in beforeAll (default true). false: the test starts it (restart) when it
   * wants one; cleanup starts one if none runs, for the finalizers.
   */
  startOperator?: boolean;
  /** Wait for every Tenant's Ready in beforeAll (default true). */
  waitReady?: boolean;
  /** Other kinds deleted before the Tenants, e.g. `keyrotationschedules,retentionpolicies`. */
  kinds?: string;
  /** Runs after the Tenants are applied (and Ready), with the operator. */
  setup?: (op: TestOperator) => Promise<void>;
  /** Runs first at cleanup (e.g. lift legal holds that would block the deletion). */
  beforeCleanup?: (op: TestOperator) => Promise<void>;
  /** Runs once the Tenants are deleted, before the operator stops. */
  afterTenantsDeleted?: (op: TestOperator) => Promise<void>;
  setupTimeoutMs?: number;
  cleanupTimeoutMs?: number;
}

export interface OperatorSuite {
  readonly namespace: string;
  /** The running operator (throws while none runs). */
  readonly op: TestOperator;
  /** Stops the running operator, if any, and starts a new one on the same namespace (settings may differ). */
  restart(settings?: Record<string, string>): Promise<TestOperator>;
  /** Tenants a test makes itself: their topics and registry entries go at cleanup too. */
  track(...tenants: string[]): void;
  /** Applies the sample as `tenant` (edited) in the suite's namespace, tracked for cleanup. */
  apply(tenant: string, edit?: (yaml: string) => string): Promise<void>;
  /** The Tenant controller of the running operator. */
  tenantController(): TestOperator['operator']['manager']['controllers'][number];
}

export function operatorSuite(options: OperatorSuiteOptions): OperatorSuite {
  const namespace = uniqueId(options.prefix);
  const tracked = new Set<string>((options.tenants ?? []).map((t) => t.name));
  let current: TestOperator | undefined;
  const settings = () =>
    typeof options.settings === 'function' ? options.settings() : (options.settings ?? {});

  const suite: OperatorSuite = {
    namespace,
    get op() {
      if (!current) throw new Error('the operator is not running');
      return current;
    },
    async restart(next) {
      await current?.stop();
      current = undefined;
      current = await startTestOperator(namespace, next ?? settings());
      return current;
    },
    track: (...tenants) => {
      for (const t of tenants) tracked.add(t);
    },
    async apply(tenant, edit = disposableTenant) {
      tracked.add(tenant);
      await kubectlOk(['apply', '-n', namespace, '-f', '-'], await sample('tenant-acme.yaml', tenant, edit));
    },
    tenantController() {
      const controller = suite.op.operator.manager.controllers.find((c) => c.kind === 'Tenant');
      if (!controller) throw new Error('no Tenant controller');
      return controller;
    },
  };

  beforeAll(async () => {
    await options.prepare?.();
    await ensureCrdsAndNamespace(namespace);
    if (options.startOperator === false) return;
    current = await startTestOperator(namespace, settings());
    for (const t of options.tenants ?? []) await suite.apply(t.name, t.edit);
    if (options.waitReady !== false)
      for (const t of options.tenants ?? [])
        await waitForCondition(namespace, `tenant/${t.name}`, 'Ready', 'True', 120_000);
    await options.setup?.(current);
  }, options.setupTimeoutMs ?? 240_000);

  afterAll(async () => {
    // A test may have stopped the operator (or never started one): the finalizers need one.
    if (!current) current = await startTestOperator(namespace, settings());
    await options.beforeCleanup?.(current);
    if (options.kinds) await kubectl(['delete', '-n', namespace, options.kinds, '--all']);
    // Delete policy whatever the test set, so the finalizer (the operator is still running)
    // leaves no data behind.
    await kubectl([
      'patch',
      '-n',
      namespace,
      'tenants',
      '--all',
      '--type',
      'merge',
      '-p',
      '{"spec":{"deletionPolicy":"Delete"}}',
    ]);
    await kubectl(['delete', '-n', namespace, 'tenants', '--all', '--timeout=90s']);
    await options.afterTenantsDeleted?.(current);
    await current.stop();
    current = undefined;
    await removeTenantTopics([...tracked]);
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  }, options.cleanupTimeoutMs ?? 180_000);

  return suite;
}

/** Waits until the controller's cache has seen each of `tenants` Ready (what the drift sweep reads). */
export async function waitForCachedReady(suite: OperatorSuite, tenants: string[]): Promise<void> {
  await waitFor('the cache to see every Tenant Ready', async () => {
    const ready = suite
      .tenantController()
      .objects()
      .filter((t) =>
        (t as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
      )
      .map((t) => (t as { metadata: { name: string } }).metadata.name);
    return tenants.every((t) => ready.includes(t));
  });
}

/**
 * A Tenant reconciler built as the operator builds it, from the suite operator's clients, with
 * any dependency replaced (a dead Kafka broker, ...): for tests that run one reconcile by hand.
 */
export function testReconciler(
  op: TestOperator,
  replace: Partial<TenantReconcilerDeps> = {},
): TenantReconciler {
  const { config, clients } = op;
  const logger = createSilentLogger();
  const kube = replace.kube ?? connectKube(config.KUBECONFIG);
  return buildTenantReconciler({
    kube,
    mongo: clients.mongo.client,
    redis: clients.redis.client,
    kafka: clients.kafka.admin,
    kafkaPlatformatic: clients.kafkaPlatformatic,
    s3: clients.s3,
    s3Admin: clients.s3Admin,
    elasticsearch: clients.elasticsearch,
    keys: op.operator.keyring,
    events: createEventRecorder(kube, 'parley.dev/operator', 'test-reconciler', logger),
    logger,
    connection: connectionFacts(config),
    auth: { url: config.AUTH_SERVICE_URL, serviceToken: config.SERVICE_TOKEN },
    searchIndexReplicas: 0,
    stepTimeoutMs: 10_000,
    credentialStoreNamespace: op.config.OPERATOR_NAMESPACE,
    ...replace,
  });
}
