/**
 * Provisions one tenant without a Kubernetes cluster, through the Tenant reconciler's own steps
 * (claim, Mongo, Redis, Kafka, bucket, index, keys, invitations, registry and runtime record),
 * with its credentials in an env file instead of a Secret. `npm start` uses it for the `demo`
 * tenant so a newcomer can sign in at once:
 *
 *   node operator/src/provision-local-tenant.ts demo [admin@example.com ...]
 *
 * Prints each step's condition (never a credential) and exits 0 when every step is True.
 */
import { createLogger, loadConfigOrExit, stopInOrder, Type } from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { assertTenantId } from '@parley/tenancy';
import type { Collection, Document } from 'mongodb';
import { API_VERSION, type Tenant } from './api/resources.ts';
import { tenantPhases } from './build-tenant-reconciler.ts';
import { connectOperatorClients } from './clients.ts';
import { OperatorConfigSchema } from './config.ts';
import { openOperatorKeyring } from './operator-keyring.ts';
import { topicForEvent } from './start-operator.ts';
import { connectionFacts } from './tenant/credentials.ts';
import { desiredTenant } from './tenant/desired-state.ts';
import { LocalCredentialsStep, readOrGenerateLocalCredentials } from './tenant/local-credentials.ts';
import { registryCollection } from './tenant/registry.ts';
import { runPhases } from './tenant/run-phases.ts';
import type { StepOutcome } from './tenant/step.ts';

const config = loadConfigOrExit(
  Type.Object({
    ...OperatorConfigSchema.properties,
    /** Where local tenants' credential files go (one `<tenant>.env`, mode 0600). */
    LOCAL_TENANT_CREDENTIALS_DIR: Type.String({ minLength: 1, default: '.parley/run/tenants' }),
  }),
);
const logger = createLogger({ service: 'operator', level: config.LOG_LEVEL });
const [id = 'demo', ...admins] = process.argv.slice(2);
assertTenantId(id);

const tenant: Tenant = {
  apiVersion: API_VERSION,
  kind: 'Tenant',
  // A stable uid: the registry claim recognises the same local tenant on every run.
  metadata: { name: id, namespace: 'local', uid: `local-${id}`, generation: 1 },
  spec: { displayName: `${id} (local)`, plan: 'team', admins, deletionPolicy: 'Retain' },
};

const clients = await connectOperatorClients(config, logger);
let exitCode = 1;
try {
  const keyring = await openOperatorKeyring(config, clients, logger);
  const desired = desiredTenant(tenant);
  const connection = connectionFacts(config);
  const phases = tenantPhases(
    {
      mongo: clients.mongo.client,
      redis: clients.redis.client,
      kafka: clients.kafka.admin,
      kafkaPlatformatic: clients.kafkaPlatformatic,
      s3: clients.s3,
      s3Admin: clients.s3Admin,
      elasticsearch: clients.elasticsearch,
      keys: keyring,
      auth: { url: config.AUTH_SERVICE_URL, serviceToken: config.SERVICE_TOKEN },
      searchIndexReplicas: config.ELASTICSEARCH_INDEX_REPLICAS,
    },
    new LocalCredentialsStep(config.LOCAL_TENANT_CREDENTIALS_DIR, connection),
  );
  const outcomes = await runPhases(
    phases,
    {
      tenant,
      desired,
      credentials: await readOrGenerateLocalCredentials(config.LOCAL_TENANT_CREDENTIALS_DIR, id),
      existingSecret: undefined,
      facts: {},
      earlier: new Map<string, StepOutcome>(),
      event: (type, reason, note) => logger.info({ tenant: id, type, reason }, note),
    },
    { stepTimeoutMs: config.OPERATOR_STEP_TIMEOUT_MS, logger },
  );
  // Publish the registry's lifecycle events and the keyring's now, as the operator's relay would.
  // Bounded, like a relay's stop: the registry holds every tenant's documents, and one whose topic
  // is gone costs the producer's whole retry budget; what is left goes out with the operator.
  await new OutboxRelay({
    producer: clients.kafka.producer,
    logger,
    sources: async () =>
      [registryCollection(clients.mongo.client), keyring.outboxSource] as unknown as Collection<Document>[],
    topicFor: topicForEvent,
    stopTimeoutMs: 10_000,
  }).stop();
  for (const [step, o] of outcomes)
    process.stdout.write(`${step.padEnd(15)} ${o.status.padEnd(7)} ${o.reason}: ${o.message}\n`);
  exitCode = [...outcomes.values()].every((o) => o.status === 'True') ? 0 : 1;
} finally {
  await stopInOrder(clients.stoppables, logger);
}
// A one-shot command: done when its steps are. A relay pass still retrying a document whose topic
// is gone must not keep it alive; that document stays pending in Mongo for the operator's relay.
process.exit(exitCode);
