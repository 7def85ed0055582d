/**
 * Tenants applied at once until all are Ready, through the real operator (every provisioning
 * step against the local Mongo-wire, Redis, Kafka, MinIO, Elasticsearch and keyring), against a
 * direct provisioner in the same run: the same phases and steps (tenantPhases), the same
 * concurrency and retries, without Kubernetes (no watch, no status writes, no Events, no Secret).
 * What the ratio measures is what Kubernetes and the manager add; the servers' own cost is on
 * both sides. Goal: operator tenants/s >= 0.8 x direct, p99 create->Ready <= 10 s, and the
 * stack's cost, CPU seconds of every server per provisioned tenant, <= 0.125 (half the ~0.25 of
 * #20's measurements). The no-op reconciler (status patch only) is kept as information.
 *
 * Both sides keep CONCURRENCY tenants in flight (16: the local Mongo-wire server wedges near 50
 * operations at once, and each tenant has several). The ratio is one of throughputs, so a run must
 * hold several waves of CONCURRENCY tenants: with fewer tenants than that (the old default, 20 at
 * 32 in flight) every tenant is in the first wave, the rate is N / the slowest tenant's latency,
 * and the ratio measures the operator's fixed latency per tenant (the watch, the finalizer, the
 * status write, about a second) rather than its rate: 0.51 there against 0.82 for 100. So the
 * default is 4 waves (64) and `--full` 100 (#20's figure); the per-tenant latency is reported
 * apart (p50Ms against directP50Ms).
 * Before anything is measured, WARM_UP tenants are provisioned (and deleted) through the direct
 * provisioner with the clients both sides then use: connections, the shared search index, the
 * keyring's collections and the steps' code are warm for both. Without it the operator, which
 * runs first, paid for all of that alone (the direct side reused its clients).
 * Order: no-op, warm-up, operator, direct.
 *
 * Where the time goes, in the details: the mean seconds of each provisioning step (the operator's
 * own histogram), the steps that failed and why, the operator process's event-loop utilisation,
 * and the CPU seconds every local server, the operator and everything else on the machine spent
 * while the Tenants were provisioned (cpuS_*, against cpuCapacityS = wall time x cores).
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { createLogger, type Logger, loadConfig, stopInOrder } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import {
  API_VERSION,
  connectKube,
  connectOperatorClients,
  createOperatorMetrics,
  directCredentialsStep,
  GROUP,
  getObject,
  type Kube,
  Manager,
  type OperatorClients,
  type OperatorConfig,
  OperatorConfigSchema,
  openOperatorKeyring,
  patchStatus,
  provisionDirect,
  type Reconciler,
  registryCollection,
  startOperator,
  TENANT_KIND,
  type Tenant,
  TenantDeletion,
  tenantPhases,
  VERSION,
} from '@parley/operator';
import type { Benchmark, BenchmarkOutcome } from '../harness.ts';
import { percentile } from '../harness.ts';
import { cpuBetween, cpuSnapshot } from '../server-cpu.ts';

const CONCURRENCY = 16;
const SHORT_TENANTS = 4 * CONCURRENCY;
const FULL_TENANTS = 100;
const WARM_UP = 4;
/** Processes in cpuBetween's breakdown that are not the stack's servers. */
const NOT_SERVERS = new Set(['operator+bench', 'others']);

/** CPU seconds of the stack's servers (not this process, not the rest of the machine). */
export function serverCpuSeconds(cpu: Record<string, string>): number {
  return Object.entries(cpu)
    .filter(([key]) => key.startsWith('cpuS_') && !NOT_SERVERS.has(key.slice('cpuS_'.length)))
    .reduce((sum, [, value]) => sum + Number(value), 0);
}
const TIMEOUT_MS = 180_000;
const CREATE_BATCH = 100;

export interface Round {
  latenciesMs: number[];
  rate: number;
  notReady: number;
}

export function tenantBody(name: string) {
  return {
    apiVersion: API_VERSION,
    kind: 'Tenant' as const,
    metadata: { name },
    spec: {
      displayName: `Bench ${name}`,
      plan: 'free' as const,
      kafka: { partitions: 1, replicationFactor: 1 },
      deletionPolicy: 'Delete' as const,
    },
  };
}

export async function createNamespace(kube: Kube, name: string): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name } } });
}

export const isReady = (t: Tenant) =>
  t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Creates the Tenants at once and waits until every one says Ready=True. A watch sees each status
 * change as it happens (listing 100 Tenants every 100 ms cost this process, which also runs the
 * operator, more CPU than it measured); a slow list is the safety net if the watch drops.
 */
export async function applyAndWait(
  kube: Kube,
  namespace: string,
  names: string[],
  { timeoutMs = TIMEOUT_MS, listEveryMs = 2_000 }: { timeoutMs?: number; listEveryMs?: number } = {},
): Promise<Round> {
  const created = new Map<string, number>();
  const ready = new Map<string, number>();
  let allReady: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    allReady = resolve;
  });
  const markReady = (tenant: Tenant, at: number) => {
    if (ready.has(tenant.metadata.name) || !isReady(tenant)) return;
    ready.set(tenant.metadata.name, at);
    if (ready.size === names.length) allReady();
  };
  // The watch on a connection of its own (a KubeConfig without the shared dispatcher). Twice in
  // the first runs with a watch, a later call of the benchmark hung for minutes; suspected: the
  // aborted watch stream wedged the connection the other calls share.
  const watchConfig = new KubeConfig();
  watchConfig.loadFromString(kube.config.exportConfig());
  const watch = await new Watch(watchConfig).watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${TENANT_KIND.plural}`,
    {},
    (_phase, tenant: Tenant) => markReady(tenant, performance.now()),
    () => {},
  );
  // At most CREATE_BATCH creations in flight (100 at once is one batch; 1,000 at once held as many
  // connections to the apiserver as the operator's own calls then waited behind).
  for (let i = 0; i < names.length; i += CREATE_BATCH)
    await Promise.all(
      names.slice(i, i + CREATE_BATCH).map(async (name) => {
        // From the moment it is sent: a fast reconcile's Ready may arrive before the create's answer.
        const sentAt = performance.now();
        await kube.custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: TENANT_KIND.plural,
          body: tenantBody(name),
        });
        created.set(name, sentAt);
      }),
    );
  const start = Math.min(...created.values());
  const deadline = start + timeoutMs;
  while (ready.size < names.length && performance.now() < deadline) {
    await Promise.race([settled, new Promise((r) => setTimeout(r, listEveryMs))]);
    if (ready.size === names.length) break;
    const list = (await kube.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: TENANT_KIND.plural,
    })) as { items: Tenant[] };
    for (const tenant of list.items) markReady(tenant, performance.now());
  }
  watch.abort();
  const latenciesMs = [...ready.entries()].map(([name, at]) => at - (created.get(name) ?? start));
  const last = Math.max(...ready.values());
  return { latenciesMs, rate: ready.size / ((last - start) / 1000), notReady: names.length - ready.size };
}

export async function stopWithin(part: { name: string; stop(): Promise<void> }, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stdout.write(`  operator part ${part.name} did not stop within ${ms / 1000} s\n`);
      resolve();
    }, ms);
  });
  await Promise.race([part.stop(), late]).finally(() => clearTimeout(timer));
}

export async function deleteAll(kube: Kube, namespace: string, timeoutMs: number): Promise<void> {
  await kube.custom.deleteCollectionNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: TENANT_KIND.plural,
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const list = (await kube.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: TENANT_KIND.plural,
    })) as {
      items: unknown[];
    };
    if (list.items.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Mean seconds per provisioning step, from the operator's own histogram: where the time goes. */
export async function meanStepSeconds(histogram: {
  get(): Promise<{
    values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
  }>;
}) {
  const { values } = await histogram.get();
  const sums = new Map<string, { sum: number; count: number }>();
  const failed = new Map<string, number>();
  for (const v of values) {
    const step = String(v.labels.step);
    const entry = sums.get(step) ?? { sum: 0, count: 0 };
    if (v.metricName?.endsWith('_sum')) entry.sum += v.value;
    if (v.metricName?.endsWith('_count')) entry.count += v.value;
    if (v.metricName?.endsWith('_count') && v.labels.status !== 'True')
      failed.set(step, (failed.get(step) ?? 0) + v.value);
    sums.set(step, entry);
  }
  return Object.fromEntries(
    [...sums.entries()].map(([step, { sum, count }]) => [
      `step${step}MeanS`,
      (sum / Math.max(1, count)).toFixed(2),
    ]),
  );
}

/**
 * The operator's warnings, counted: which step failed and why (failed_SearchIndex_ElasticsearchUnavailable),
 * and why reconciles were retried (retried_KafkaError), each with one sample message. A failed
 * step costs its tenant a backoff and a whole second reconcile.
 */
export function failureCollector(): {
  logger: Logger;
  counts: Map<string, { count: number; sample: string }>;
} {
  const counts = new Map<string, { count: number; sample: string }>();
  const count = (key: string, sample: string) => {
    const entry = counts.get(key) ?? { count: 0, sample };
    entry.count += 1;
    counts.set(key, entry);
  };
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as {
          msg?: string;
          step?: string;
          reason?: string;
          err?: { message?: string };
        };
        const message = String(entry.err?.message ?? '').slice(0, 200);
        if (entry.msg === 'step failed') count(`failed_${entry.step}_${entry.reason}`, message);
        else if (entry.msg?.startsWith('reconcile failed'))
          count(`retried_${/\(([^)]+)\)/.exec(message)?.[1] ?? message.slice(0, 60)}`, message);
      }
      done();
    },
  });
  return { logger: createLogger({ service: 'bench-operator', level: 'warn', destination }), counts };
}

/** Two lines a person can read: CPU seconds by process (share of the machine), mean seconds by step. */
export function breakdown(
  stepMeans: Record<string, string>,
  serverCpu: Record<string, string>,
  stretch = 'while provisioning',
): string {
  const capacity = Number(serverCpu.cpuCapacityS);
  const cpu = Object.entries(serverCpu)
    .filter(([key]) => key.startsWith('cpuS_'))
    .map(([key, value]) => [key.slice('cpuS_'.length), Number(value)] as const)
    .filter(([, seconds]) => seconds >= 0.1)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(1)} (${Math.round((100 * seconds) / capacity)}%)`);
  const steps = Object.entries(stepMeans)
    .filter(([key]) => key.startsWith('step'))
    .map(([key, value]) => [key.slice('step'.length, -'MeanS'.length), Number(value)] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`);
  return [
    `  CPU-s ${stretch} (${serverCpu.cpuWallS} s x cores = ${serverCpu.cpuCapacityS} CPU-s): ${cpu.join(', ')}`,
    `  mean s per step: ${steps.join(', ')}`,
    '',
  ].join('\n');
}

/** The reference: the same manager and watch, a reconcile that only marks the Tenant Ready. */
function noopReconciler(kube: Kube): Reconciler {
  return {
    kind: TENANT_KIND,
    async reconcile({ namespace, name }) {
      const tenant = await getObject<Tenant>(kube, TENANT_KIND, namespace, name);
      if (!tenant || tenant.status?.conditions?.some((c) => c.type === 'Ready')) return {};
      await patchStatus(kube, TENANT_KIND, namespace, name, {
        observedGeneration: tenant.metadata.generation,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'NoOp',
            message: 'reference reconciler',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            observedGeneration: tenant.metadata.generation,
          },
        ],
      });
      return {};
    },
  };
}

interface DirectRound extends Round {
  serverCpu: Record<string, string>;
}

/** The reference: the same steps and concurrency, no Kubernetes; then its tenants are deleted. */
async function runDirect(
  config: OperatorConfig,
  clients: OperatorClients,
  names: string[],
  logger: Logger,
): Promise<DirectRound> {
  const keys = await openOperatorKeyring(config, clients, logger);
  const deps = {
    mongo: clients.mongo.client,
    redis: clients.redis.client,
    kafka: clients.kafka.admin,
    kafkaPlatformatic: clients.kafkaPlatformatic,
    s3: clients.s3,
    s3Admin: clients.s3Admin,
    elasticsearch: clients.elasticsearch,
    keys,
    auth: { url: config.AUTH_SERVICE_URL, serviceToken: config.SERVICE_TOKEN },
    searchIndexReplicas: config.ELASTICSEARCH_INDEX_REPLICAS,
  };
  const tenants: Tenant[] = names.map((name) => ({
    ...tenantBody(name),
    metadata: { name, namespace: 'bench-direct', uid: `direct-${name}`, generation: 1 },
  }));
  const cpuBefore = cpuSnapshot();
  const results = await provisionDirect(tenants, {
    phases: tenantPhases(deps, directCredentialsStep),
    concurrency: CONCURRENCY,
    stepTimeoutMs: config.OPERATOR_STEP_TIMEOUT_MS,
    logger,
  });
  const serverCpu = cpuBetween(cpuBefore, cpuSnapshot(), availableParallelism());
  const done = [...results.values()].filter((ms): ms is number => ms !== undefined);
  const last = Math.max(...done);
  // Every direct tenant started with the run (all submitted at once, CONCURRENCY in flight), as the
  // operator's were all created at once: latency is from the start.
  const round = {
    latenciesMs: done,
    rate: done.length / (last / 1000),
    notReady: names.length - done.length,
  };
  const deletion = new TenantDeletion({
    ...deps,
    registry: registryCollection(clients.mongo.client),
    events: { record: async () => {} },
    logger,
  });
  for (let i = 0; i < tenants.length; i += CONCURRENCY)
    await Promise.all(tenants.slice(i, i + CONCURRENCY).map((t) => deletion.run(t).catch(() => {})));
  return { ...round, serverCpu };
}

const benchmark: Benchmark = {
  name: 'operator-tenants-vs-direct',
  goal: `Tenants at once (${SHORT_TENANTS}; ${FULL_TENANTS} with --full): >= 0.8 x the direct provisioner's tenants/s, p99 create->Ready <= 10 s, <= 0.125 server CPU-s per tenant`,
  minRatio: 0.8,
  needsStack: true,
  async run(context): Promise<BenchmarkOutcome> {
    const TENANTS = context.full ? FULL_TENANTS : SHORT_TENANTS;
    const logger = createSilentLogger('bench');
    const run = randomUUID().slice(0, 6);
    const names = (prefix: string) => Array.from({ length: TENANTS }, (_, i) => `${prefix}${run}-${i}`);
    const noopNamespace = `bench-op-noop-${run}`;
    const realNamespace = `bench-op-real-${run}`;
    const baseConfig = loadConfig(OperatorConfigSchema, {
      ...process.env,
      LOG_LEVEL: 'silent',
      OPERATOR_LEADER_ELECTION: 'false',
      OPERATOR_CONCURRENCY: String(CONCURRENCY),
      AUTH_SERVICE_URL: 'http://127.0.0.1:1',
    });
    const kube = connectKube(baseConfig.KUBECONFIG);

    // Information: the no-op reconciler (the manager and apiserver alone).
    await createNamespace(kube, noopNamespace);
    const noop = new Manager({
      kube,
      logger,
      metrics: createOperatorMetrics(),
      reconcilers: [noopReconciler(kube)],
      controller: { concurrency: CONCURRENCY, resyncMs: 600_000, namespace: noopNamespace },
    });
    await noop.start();
    const noopRound = await applyAndWait(kube, noopNamespace, names('bn'));
    await noop.stop();
    await kube.core.deleteNamespace({ name: noopNamespace });

    // Parley: the real operator.
    await createNamespace(kube, realNamespace);
    // The operator's own namespace holds the tenants' credential Secrets: the bench's namespace, as
    // in the operator's tests (a fresh apiserver has no parley-system, and the bench leaves none).
    const config = {
      ...baseConfig,
      OPERATOR_WATCH_NAMESPACE: realNamespace,
      OPERATOR_NAMESPACE: realNamespace,
    };
    const failures = failureCollector();
    const clients = await connectOperatorClients(config, logger);
    const warmUp = await runDirect(config, clients, names('bw').slice(0, WARM_UP), logger);
    if (warmUp.notReady > 0) throw new Error(`${warmUp.notReady} warm-up tenant(s) did not provision`);
    const operator = await startOperator(config, clients, {
      logger: failures.logger,
      identity: `bench-${run}`,
    });
    let parley: Round;
    let direct: DirectRound | undefined;
    let stepMeans: Record<string, string> = {};
    let eventLoopUtilization = Number.NaN;
    let serverCpu: Record<string, string> = {};
    try {
      const elu = performance.eventLoopUtilization();
      const cpuBefore = cpuSnapshot();
      parley = await applyAndWait(kube, realNamespace, names('br'));
      serverCpu = cpuBetween(cpuBefore, cpuSnapshot(), availableParallelism());
      // How busy this process (operator + watch) was. On a saturated machine this counts the time
      // the thread waited for a core too; cpuS_operator+bench is what it really used.
      eventLoopUtilization = performance.eventLoopUtilization(elu).utilization;
      stepMeans = await meanStepSeconds(operator.metrics.stepDuration);
      for (const v of (await operator.metrics.reconciles.get()).values) {
        if (v.labels.kind === 'Tenant') stepMeans[`reconciles_${v.labels.result}`] = String(v.value);
      }
      for (const [key, { count, sample }] of failures.counts) {
        stepMeans[key] = String(count);
        process.stdout.write(`  ${key} x${count}: ${sample}\n`);
      }
      process.stdout.write(breakdown(stepMeans, serverCpu));
      const cleanupStarted = performance.now();
      await deleteAll(kube, realNamespace, 180_000);
      stepMeans.cleanupS = ((performance.now() - cleanupStarted) / 1000).toFixed(1);
      // The reference, with the operator stopped (its manager idle would still cost nothing, but
      // its relay and sweep would share the process).
      await stopInOrder(
        operator.stoppables
          .filter((part) => !clients.stoppables.includes(part))
          .map((part) => ({ name: part.name, stop: () => stopWithin(part, 30_000) })),
        logger,
      );
      direct = await runDirect(config, clients, names('bd'), logger);
      process.stdout.write(`  direct: ${breakdown({}, direct.serverCpu).split('\n')[0]?.trim()}\n`);
    } finally {
      // Each part gets a bounded stop (a production shutdown is bounded by SHUTDOWN_TIMEOUT_MS
      // the same way): a part that does not stop is named, not waited for.
      await stopInOrder(
        operator.stoppables.map((part) => ({ name: part.name, stop: () => stopWithin(part, 30_000) })),
        logger,
      );
      // What a Delete keeps on purpose (lifecycle and keys topics) is bench data: remove it.
      const { Kafka } = (await import('kafkajs')).default;
      const admin = new Kafka({
        brokers: config.KAFKA_BROKERS.split(','),
        sasl: {
          mechanism: 'scram-sha-512',
          username: config.KAFKA_USERNAME,
          password: config.KAFKA_PASSWORD,
        },
      }).admin();
      await admin.connect();
      const leftovers = (await admin.listTopics()).filter((t) =>
        ['br', 'bd', 'bw'].some((side) => t.startsWith(`parley.${side}${run}-`)),
      );
      // In batches: one request deleting a couple of hundred topics outlasts kafkajs's default timeout.
      for (let i = 0; i < leftovers.length; i += 50)
        await admin.deleteTopics({ topics: leftovers.slice(i, i + 50), timeout: 60_000 });
      await admin.disconnect();
      const mongo = (await import('mongodb')).MongoClient;
      const registryClient = await mongo.connect(config.MONGO_URL);
      await registryCollection(registryClient).deleteMany({ _id: { $regex: `^b[rdw]${run}-` } });
      await registryClient.close();
      await kube.core.deleteNamespace({ name: realNamespace });
    }
    if (!direct) throw new Error('the direct provisioner did not run');
    const p99 = percentile(parley.latenciesMs, 99);
    const ratio = parley.rate / direct.rate;
    const cpuPerTenant = serverCpuSeconds(serverCpu) / TENANTS;
    const directCpuPerTenant = serverCpuSeconds(direct.serverCpu) / TENANTS;
    return {
      parley: { label: `operator, ${TENANTS} Tenants provisioned`, value: parley.rate, unit: 'tenants/s' },
      reference: {
        label: 'direct provisioner (same steps and concurrency, no Kubernetes)',
        value: direct.rate,
        unit: 'tenants/s',
      },
      details: {
        tenants: TENANTS,
        p50Ms: Math.round(percentile(parley.latenciesMs, 50)),
        p99Ms: Math.round(p99),
        notReady: parley.notReady,
        directP50Ms: Math.round(percentile(direct.latenciesMs, 50)),
        directP99Ms: Math.round(percentile(direct.latenciesMs, 99)),
        directNotReady: direct.notReady,
        serverCpuSPerTenant: cpuPerTenant.toFixed(3),
        directServerCpuSPerTenant: directCpuPerTenant.toFixed(3),
        noopTenantsPerS: noopRound.rate.toFixed(1),
        noopP99Ms: Math.round(percentile(noopRound.latenciesMs, 99)),
        concurrency: CONCURRENCY,
        eventLoopUtilization: eventLoopUtilization.toFixed(2),
        ...stepMeans,
        ...serverCpu,
        ...Object.fromEntries(Object.entries(direct.serverCpu).map(([k, v]) => [`direct_${k}`, v])),
      },
      goalMet:
        parley.notReady === 0 &&
        direct.notReady === 0 &&
        p99 <= 10_000 &&
        ratio >= 0.8 &&
        cpuPerTenant <= 0.125,
    };
  },
};

export default benchmark;
