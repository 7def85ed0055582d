/**
 * 100 Tenants applied at once until all are Ready, through the real operator (every provisioning
 * step against the local Mongo-wire, Redis, Kafka, MinIO, Elasticsearch and keyring), against
 * the same manager running a no-op reconciler that only reads the Tenant and patches its status
 * Ready, in the same run. Reported: per-tenant time from create to Ready (p50, p99) and
 * tenants/s. Goal: p99 <= 10 s and >= 0.5 x the no-op rate.
 *
 * One round per side (a round is 100 provisionings and their Delete-policy cleanup, far more
 * than the harness's round budget); the reference runs first so the stores are equally warm.
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
  GROUP,
  getObject,
  type Kube,
  Manager,
  OperatorConfigSchema,
  patchStatus,
  type Reconciler,
  startOperator,
  TENANT_KIND,
  type Tenant,
  VERSION,
} from '@parley/operator';
import type { Benchmark, BenchmarkOutcome } from '../harness.ts';
import { percentile } from '../harness.ts';
import { cpuBetween, cpuSnapshot } from '../server-cpu.ts';

const TENANTS = 100;
const CONCURRENCY = 32;
const TIMEOUT_MS = 180_000;

interface Round {
  latenciesMs: number[];
  rate: number;
  notReady: number;
}

function tenantBody(name: string) {
  return {
    apiVersion: API_VERSION,
    kind: 'Tenant',
    metadata: { name },
    spec: {
      displayName: `Bench ${name}`,
      plan: 'free',
      kafka: { partitions: 1, replicationFactor: 1 },
      deletionPolicy: 'Delete',
    },
  };
}

async function createNamespace(kube: Kube, name: string): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name } } });
}

const isReady = (t: Tenant) => t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Creates the Tenants at once and waits until every one says Ready=True. A watch sees each status
 * change as it happens (listing 100 Tenants every 100 ms cost this process, which also runs the
 * operator, more CPU than it measured); a slow list is the safety net if the watch drops.
 */
async function applyAndWait(kube: Kube, namespace: string, names: string[]): Promise<Round> {
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
  await Promise.all(
    names.map(async (name) => {
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
  const deadline = start + TIMEOUT_MS;
  while (ready.size < names.length && performance.now() < deadline) {
    await Promise.race([settled, new Promise((r) => setTimeout(r, 2_000))]);
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

async function stopWithin(part: { name: string; stop(): Promise<void> }, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stdout.write(`  operator part ${part.name} did not stop within ${ms / 1000} s\n`);
      resolve();
    }, ms);
  });
  await Promise.race([part.stop(), late]).finally(() => clearTimeout(timer));
}

async function deleteAll(kube: Kube, namespace: string, timeoutMs: number): Promise<void> {
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
async function meanStepSeconds(histogram: {
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
function failureCollector(): { logger: Logger; counts: Map<string, { count: number; sample: string }> } {
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
function breakdown(stepMeans: Record<string, string>, serverCpu: Record<string, string>): string {
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
    `  CPU-s while provisioning (${serverCpu.cpuWallS} s x cores = ${serverCpu.cpuCapacityS} CPU-s): ${cpu.join(', ')}`,
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

const benchmark: Benchmark = {
  name: 'operator-100-tenants-vs-noop',
  goal: `${TENANTS} Tenants at once: p99 create->Ready <= 10 s and >= 0.5 x the no-op reconciler's tenants/s`,
  minRatio: 0.5,
  needsStack: true,
  async run(): Promise<BenchmarkOutcome> {
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

    // Reference: the no-op reconciler.
    await createNamespace(kube, noopNamespace);
    const noop = new Manager({
      kube,
      logger,
      metrics: createOperatorMetrics(),
      reconcilers: [noopReconciler(kube)],
      controller: { concurrency: CONCURRENCY, resyncMs: 600_000, namespace: noopNamespace },
    });
    await noop.start();
    const reference = await applyAndWait(kube, noopNamespace, names('bn'));
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
    const operator = await startOperator(config, clients, {
      logger: failures.logger,
      identity: `bench-${run}`,
    });
    let parley: Round;
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
    } finally {
      // Each part of the operator gets a bounded stop (a production shutdown is bounded by
      // SHUTDOWN_TIMEOUT_MS the same way): a part that does not stop is named, not waited for.
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
      const leftovers = (await admin.listTopics()).filter((t) => t.startsWith(`parley.br${run}-`));
      // In batches: one request deleting a couple of hundred topics outlasts kafkajs's default timeout.
      for (let i = 0; i < leftovers.length; i += 50)
        await admin.deleteTopics({ topics: leftovers.slice(i, i + 50), timeout: 60_000 });
      await admin.disconnect();
      await kube.core.deleteNamespace({ name: realNamespace });
    }
    const p99 = percentile(parley.latenciesMs, 99);
    const ratio = parley.rate / reference.rate;
    return {
      parley: { label: `operator, ${TENANTS} Tenants provisioned`, value: parley.rate, unit: 'tenants/s' },
      reference: { label: `no-op reconciler (status patch only)`, value: reference.rate, unit: 'tenants/s' },
      details: {
        p50Ms: Math.round(percentile(parley.latenciesMs, 50)),
        p99Ms: Math.round(p99),
        notReady: parley.notReady,
        referenceP50Ms: Math.round(percentile(reference.latenciesMs, 50)),
        referenceP99Ms: Math.round(percentile(reference.latenciesMs, 99)),
        concurrency: CONCURRENCY,
        eventLoopUtilization: eventLoopUtilization.toFixed(2),
        ...stepMeans,
        ...serverCpu,
      },
      goalMet: parley.notReady === 0 && p99 <= 10_000 && ratio >= 0.5,
    };
  },
};

export default benchmark;
