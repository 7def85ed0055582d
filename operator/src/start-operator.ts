/**
 * Wires the operator from connected clients: the keyring (master keys from MASTER_KEY_PATH), the
 * outbox relay that publishes the registry's and keyring's events, the reconcilers and the
 * manager (leader election on a Lease). Returns what must be stopped, in order: the manager first
 * (drains reconciles, releases the Lease), then the relay (flushes events), then the clients.
 */

import type { Logger, Stoppable } from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic } from '@parley/tenancy';
import type { Collection, Document } from 'mongodb';
import type { Registry } from 'prom-client';
import { KEY_ROTATION_SCHEDULE_KIND, TENANT_KIND, type Tenant } from './api/resources.ts';
import { buildTenantReconciler } from './build-tenant-reconciler.ts';
import type { OperatorClients } from './clients.ts';
import type { OperatorConfig } from './config.ts';
import { buildKeyRotationScheduleReconciler } from './key-rotation-schedule/build-key-rotation-schedule-reconciler.ts';
import { createKeyEventWakeup } from './key-rotation-schedule/key-event-wakeup.ts';
import { createEventRecorder } from './manager/event-recorder.ts';
import { connectKube } from './manager/kube-client.ts';
import { Manager } from './manager/manager.ts';
import { createOperatorMetrics } from './manager/metrics.ts';
import { openOperatorKeyring } from './operator-keyring.ts';
import { RetentionPolicyReconciler } from './retention-policy/retention-policy-reconciler.ts';
import { connectionFacts } from './tenant/credentials.ts';
import { listStores } from './tenant/drift/drift-listing.ts';
import { driftReporter } from './tenant/drift/drift-report.ts';
import { DriftSweep } from './tenant/drift/drift-sweep.ts';
import { registryCollection } from './tenant/registry.ts';
import { describePrincipalAcls } from './tenant/steps/kafka-principal-step.ts';
import { StoreRecovery } from './tenant/store-recovery.ts';

export interface StartOptions {
  logger: Logger;
  identity: string;
  metricsRegistry?: Registry;
  onLostLeadership?: () => void;
}

/** Tenant lifecycle events go to the tenant's lifecycle topic, key events to its keys topic. */
export function topicForEvent(event: { tenant: string; type: string }): string {
  return kafkaTopic(event.tenant, event.type.startsWith('crypto.') ? 'keys' : 'lifecycle');
}

export async function startOperator(config: OperatorConfig, clients: OperatorClients, options: StartOptions) {
  const { logger } = options;
  const kube = connectKube(config.KUBECONFIG);
  const keyring = await openOperatorKeyring(config, clients, logger);
  const metrics = createOperatorMetrics(options.metricsRegistry);
  const events = createEventRecorder(kube, 'parley.dev/operator', options.identity, logger);
  const tenantReconciler = buildTenantReconciler({
    kube,
    mongo: clients.mongo.client,
    redis: clients.redis.client,
    kafka: clients.kafka.admin,
    kafkaPlatformatic: clients.kafkaPlatformatic,
    s3: clients.s3,
    s3Admin: clients.s3Admin,
    elasticsearch: clients.elasticsearch,
    keys: keyring,
    events,
    logger,
    connection: connectionFacts(config),
    auth: { url: config.AUTH_SERVICE_URL, serviceToken: config.SERVICE_TOKEN },
    searchIndexReplicas: config.ELASTICSEARCH_INDEX_REPLICAS,
    stepTimeoutMs: config.OPERATOR_STEP_TIMEOUT_MS,
    holdRecheckMs: config.OPERATOR_HOLD_RECHECK_MS,
    credentialStoreNamespace: config.OPERATOR_NAMESPACE,
    observeStep: (step, status, seconds) => metrics.stepDuration.observe({ step, status }, seconds),
    observeReady: ({ namespace, name }, ready) => {
      const labels = { tenant_namespace: namespace, tenant: name };
      if (ready === undefined) metrics.tenantReady.remove(labels);
      else metrics.tenantReady.set(labels, ready ? 1 : 0);
    },
  });
  const relay = new OutboxRelay({
    producer: clients.kafka.producer,
    logger,
    sources: async () =>
      [registryCollection(clients.mongo.client), keyring.outboxSource] as unknown as Collection<Document>[],
    topicFor: topicForEvent,
  });
  const manager = new Manager({
    kube,
    logger,
    metrics,
    reconcilers: [
      tenantReconciler,
      buildKeyRotationScheduleReconciler({
        kube,
        keyring,
        events,
        mongo: clients.mongo.client,
        logger,
        config,
        observeDue: ({ namespace, name }, due) => {
          const labels = { schedule_namespace: namespace, schedule: name };
          if (due === undefined) metrics.keyRotationDue.remove(labels);
          else metrics.keyRotationDue.set(labels, due.getTime() / 1000);
        },
      }),
      new RetentionPolicyReconciler({
        kube,
        mongo: clients.mongo.client,
        kafka: clients.kafkaPlatformatic,
        s3: clients.s3,
        events,
      }),
    ],
    controller: {
      concurrency: config.OPERATOR_CONCURRENCY,
      resyncMs: config.OPERATOR_RESYNC_MS,
      backoff: { baseMs: config.OPERATOR_BACKOFF_BASE_MS, maxMs: config.OPERATOR_BACKOFF_MAX_MS },
      ...(config.OPERATOR_WATCH_NAMESPACE ? { namespace: config.OPERATOR_WATCH_NAMESPACE } : {}),
    },
    ...(config.OPERATOR_LEADER_ELECTION
      ? {
          leaderElection: {
            namespace: config.OPERATOR_NAMESPACE,
            name: config.OPERATOR_LEASE_NAME,
            identity: options.identity,
            leaseDurationMs: config.OPERATOR_LEASE_DURATION_MS,
            renewDeadlineMs: config.OPERATOR_RENEW_DEADLINE_MS,
            retryPeriodMs: config.OPERATOR_RETRY_PERIOD_MS,
          },
        }
      : {}),
    ...(options.onLostLeadership ? { onLostLeadership: options.onLostLeadership } : {}),
  });
  const schedules = manager.controllers.find((c) => c.kind === KEY_ROTATION_SCHEDULE_KIND.kind);
  if (!schedules) throw new Error('the KeyRotationSchedule controller is missing');
  const keyEventWakeup = createKeyEventWakeup({ kafka: clients.kafka.kafka, logger, schedules });
  const tenants = manager.controllers.find((c) => c.kind === TENANT_KIND.kind);
  if (!tenants) throw new Error('the Tenant controller is missing');
  const driftSweep = new DriftSweep({
    tenants: () => tenants.objects() as Tenant[],
    list: () =>
      listStores({
        kafka: clients.kafka.admin,
        kafkaAcls: clients.kafkaPlatformatic,
        redis: clients.redis.client,
        mongoAdmin: clients.mongo.client.db('admin'),
        s3: clients.s3,
        s3Admin: clients.s3Admin,
        elasticsearch: clients.elasticsearch,
      }),
    enqueue: (key) => tenants.enqueue(key),
    report: driftReporter(kube, events),
    logger,
    intervalMs: config.OPERATOR_DRIFT_SWEEP_MS,
    observe: (result, seconds) => {
      metrics.driftSweepDuration.observe(seconds);
      metrics.driftedTenants.inc(result.drifted.length);
    },
  });
  const mongoPing = () => clients.mongo.client.db('admin').command({ ping: 1 });
  const storeRecovery = new StoreRecovery({
    tenants: () => tenants.objects() as Tenant[],
    probes: {
      Mongo: mongoPing,
      Keyring: mongoPing,
      Redis: () => clients.redis.client.ping(),
      // Sent alone (no metadata of every topic first), answered from the broker's cache.
      Kafka: () => describePrincipalAcls(clients.kafkaPlatformatic, 'User:parley-operator-probe'),
      S3: () => clients.s3.bucketExists('parley-operator-probe'),
      Elasticsearch: () => clients.elasticsearch.ping(),
    },
    retrySooner: (key, ifLaterThanMs) => tenants.retrySooner(key, ifLaterThanMs),
    intervalMs: config.OPERATOR_RECOVERY_PROBE_MS,
    logger,
    observe: (store, retried) => metrics.storeRecoveryRetries.inc({ store }, retried),
  });
  relay.start();
  await manager.start();
  await keyEventWakeup.start();
  driftSweep.start();
  storeRecovery.start();
  // The wake-up, the sweep and the recovery stop first: nothing may queue work into controllers that are draining.
  const stoppables: Stoppable[] = [
    keyEventWakeup,
    driftSweep,
    storeRecovery,
    manager,
    relay,
    ...clients.stoppables,
  ];
  return { manager, relay, keyring, kube, metrics, driftSweep, storeRecovery, stoppables };
}
