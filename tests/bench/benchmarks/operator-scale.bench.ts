/**
 * The operator at scale (#20): TENANTS Tenants (1,000 with --full; 100 by default, to try it) on
 * the local stack through the real operator until all are Ready, then what a settled fleet costs
 * and how fast drift is corrected at that size:
 * - provisioning: wall time, rate, p50/p99 and the CPU seconds of every server (as the
 *   operator-tenants benchmark prints them);
 * - steady state: the CPU seconds per minute of the stack's servers over STEADY_MS with every
 *   Tenant Ready (the drift sweep every 30 s, its default), against the same stack idle with the
 *   operator running and no Tenant (the reference, measured first); then one resync (every Tenant
 *   queued, what the controller does every OPERATOR_RESYNC_MS, 5 min by default): its CPU seconds and
 *   duration, amortised over 5 minutes into the steady-state figure;
 * - the operator's memory per tenant: heap after a full GC with every Tenant Ready, less the heap
 *   before the first Tenant, over the number of Tenants (the informer's objects, the work queue's
 *   and controller's maps, the drift sweep's listings); the process's RSS beside it;
 * - drift at that size: one Kafka topic, one Kafka ACL, one Redis ACL user, one bucket and one
 *   MinIO user, each of a different Tenant, removed by hand at once; the seconds until each is
 *   back (polled every second), goal <= 60 s each;
 * - the servers' resident memory with every Tenant Ready.
 * Then every Tenant is deleted (Delete policy; timed, as information) and what a Delete keeps on
 * purpose is removed. The resync is the bench's to start (OPERATOR_RESYNC_MS an hour), so it falls
 * in its own window rather than wherever 5 minutes land.
 *
 * Run it on a stack of its own (1,000 tenants are 8,000 topics, 1,000 databases and buckets):
 * PARLEY_RUN_DIR=<dir> PARLEY_STACK_PORT_OFFSET=<n> npm run -s stack -- up, then the bench with the
 * same two variables, then stack down. See operator/README.md ("At scale") for the figures.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadConfig, stopInOrder } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import {
  connectOperatorClients,
  type OperatorClients,
  OperatorConfigSchema,
  registryCollection,
  s3AccessKey,
  s3PolicyName,
  startOperator,
  TENANT_KIND,
} from '@parley/operator';
import { kafkaPrincipal, kafkaTopic, redisAclUser, s3BucketName } from '@parley/tenancy';
import kafkajs from 'kafkajs';
import type { Benchmark, BenchmarkOutcome } from '../harness.ts';
import { percentile } from '../harness.ts';
import { cpuBetween, cpuSnapshot, serverRssMb } from '../server-cpu.ts';
import {
  applyAndWait,
  breakdown,
  createNamespace,
  deleteAll,
  failureCollector,
  meanStepSeconds,
  serverCpuSeconds,
  stopWithin,
} from './operator-tenants.bench.ts';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const CONCURRENCY = 16;
const SHORT_TENANTS = 100;
const FULL_TENANTS = 1_000;
const IDLE_MS = 60_000;
const STEADY_MS = 120_000;
/** The controller's default resync period, over which one resync's cost is spread. */
const DEFAULT_RESYNC_MINUTES = 5;
const DRIFT_GOAL_MS = 60_000;
const DRIFT_WAIT_MS = 180_000;
/**
 * Goals, set from the first 1,000-tenant run (operator/README.md, "At scale", says why these
 * figures): steady-state server CPU-s per minute (sweeps + the amortised resync) and the
 * operator's heap per Tenant.
 */
const STEADY_CPU_S_PER_MIN_GOAL = 20;
const HEAP_KB_PER_TENANT_GOAL = 32;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): { heapMb: number; rssMb: number; externalMb: number } {
  gc();
  gc();
  const { heapUsed, rss, external } = process.memoryUsage();
  return { heapMb: heapUsed / 2 ** 20, rssMb: rss / 2 ** 20, externalMb: external / 2 ** 20 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gaugeSum(gauge: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await gauge.get()).values.reduce((sum, v) => sum + v.value, 0);
}

async function histogramCount(histogram: {
  get(): Promise<{ values: { value: number; metricName?: string }[] }>;
}): Promise<{ count: number; sum: number }> {
  const { values } = await histogram.get();
  return {
    count: values.filter((v) => v.metricName?.endsWith('_count')).reduce((s, v) => s + v.value, 0),
    sum: values.filter((v) => v.metricName?.endsWith('_sum')).reduce((s, v) => s + v.value, 0),
  };
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 1_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  process.stdout.write(`  ${what}: not within ${timeoutMs / 1000} s\n`);
  return false;
}

const stepMeansOf = (details: Record<string, number | string>) =>
  Object.fromEntries(
    Object.entries(details)
      .filter(([key]) => key.startsWith('step'))
      .map(([key, value]) => [key, String(value)]),
  );

const perMinute = (cpu: Record<string, string>) => serverCpuSeconds(cpu) / (Number(cpu.cpuWallS) / 60);

/**
 * Removes by hand a Kafka topic, a Kafka ACL, a Redis ACL user, a bucket and a MinIO user, each of
 * another of the five `tenants`, and returns the ms until each is back (undefined: not within
 * DRIFT_WAIT_MS). Each is polled every second and counts as back only once it was seen gone.
 */
async function driftRound(
  clients: OperatorClients,
  tenants: string[],
): Promise<Record<string, number | undefined>> {
  const [t1, t2, t3, t4, t5] = tenants as [string, string, string, string, string];
  const admin = clients.kafka.admin;
  const topic = kafkaTopic(t1, 'app');
  const messages = kafkaTopic(t2, 'messages');
  const principal = `User:${kafkaPrincipal(t2)}`;
  const aclFilter = {
    resourceType: AclResourceTypes.TOPIC,
    resourceName: messages,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
  const probes: Record<string, () => Promise<boolean>> = {
    topic: async () => (await admin.listTopics()).includes(topic),
    kafkaAcl: async () =>
      (await admin.describeAcls(aclFilter as never)).resources.some((r) => r.acls.length > 0),
    redisUser: async () => (await clients.redis.client.call('ACL', 'GETUSER', redisAclUser(t3))) !== null,
    bucket: () => clients.s3.bucketExists(s3BucketName(t4)),
    s3User: async () => (await clients.s3Admin.userInfo(s3AccessKey(t5)))?.policyName === s3PolicyName(t5),
  };
  for (const [what, present] of Object.entries(probes))
    if (!(await present())) throw new Error(`before the drift: ${what} is missing already`);
  const removedAt = new Map<string, number>();
  await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
  removedAt.set('topic', performance.now());
  await admin.deleteAcls({ filters: [{ ...aclFilter, host: '*' }] } as never);
  removedAt.set('kafkaAcl', performance.now());
  await clients.redis.client.call('ACL', 'DELUSER', redisAclUser(t3));
  removedAt.set('redisUser', performance.now());
  await clients.s3.removeBucket(s3BucketName(t4));
  removedAt.set('bucket', performance.now());
  await clients.s3Admin.removeUser(s3AccessKey(t5));
  removedAt.set('s3User', performance.now());
  const back: Record<string, number | undefined> = {};
  await Promise.all(
    Object.entries(probes).map(async ([what, present]) => {
      const deadline = performance.now() + DRIFT_WAIT_MS;
      let gone = false;
      back[what] = undefined;
      while (performance.now() < deadline) {
        // A removal's own echo (a topic's deletion takes a moment) is not a restore.
        const now = await present().catch(() => false);
        if (!now) gone = true;
        else if (gone) {
          back[what] = performance.now() - (removedAt.get(what) ?? 0);
          return;
        }
        await sleep(1_000);
      }
    }),
  );
  return back;
}

const benchmark: Benchmark = {
  name: 'operator-scale',
  goal: `${SHORT_TENANTS} Tenants (${FULL_TENANTS} with --full) all Ready; settled: <= ${STEADY_CPU_S_PER_MIN_GOAL} server CPU-s per minute (drift sweeps + a resync every ${DEFAULT_RESYNC_MINUTES} min), <= ${HEAP_KB_PER_TENANT_GOAL} KB operator heap per Tenant; a topic, ACL, Redis user, bucket and MinIO user removed by hand each back within ${DRIFT_GOAL_MS / 1000} s`,
  needsStack: true,
  async run(context): Promise<BenchmarkOutcome> {
    const TENANTS = context.full ? FULL_TENANTS : SHORT_TENANTS;
    const logger = createSilentLogger('bench');
    const run = randomUUID().slice(0, 6);
    const names = Array.from({ length: TENANTS }, (_, i) => `bs${run}-${i}`);
    const namespace = `bench-scale-${run}`;
    const say = (line: string) =>
      process.stdout.write(`  ${new Date().toISOString().slice(11, 19)} ${line}\n`);
    const config = {
      ...loadConfig(OperatorConfigSchema, {
        ...process.env,
        LOG_LEVEL: 'silent',
        OPERATOR_LEADER_ELECTION: 'false',
        OPERATOR_CONCURRENCY: String(CONCURRENCY),
        OPERATOR_RESYNC_MS: '3600000',
        OPERATOR_DRIFT_SWEEP_MS: '30000',
        AUTH_SERVICE_URL: 'http://127.0.0.1:1',
      }),
      OPERATOR_WATCH_NAMESPACE: namespace,
      OPERATOR_NAMESPACE: namespace,
    };
    const failures = failureCollector();
    const clients = await connectOperatorClients(config, logger);
    const operator = await startOperator(config, clients, {
      logger: failures.logger,
      identity: `scale-${run}`,
    });
    const { kube, metrics } = operator;
    await createNamespace(kube, namespace);
    const tenantController = operator.manager.controllers.find((c) => c.kind === TENANT_KIND.kind);
    if (!tenantController) throw new Error('no Tenant controller');
    const details: Record<string, number | string> = { tenants: TENANTS, concurrency: CONCURRENCY };
    const drift: Record<string, number | undefined> = {};
    let idle: Record<string, string> = {};
    let steady: Record<string, string> = {};
    let resync: Record<string, string> = {};
    let readyCount = 0;
    let heapPerTenantKb = Number.NaN;
    let resyncDone = false;
    try {
      // The reference: the stack with the operator running and no Tenant.
      await sleep(5_000);
      const before = heapAfterGc();
      let cpu = cpuSnapshot();
      await sleep(IDLE_MS);
      idle = cpuBetween(cpu, cpuSnapshot(), availableParallelism());
      say(`idle: ${perMinute(idle).toFixed(2)} server CPU-s/min`);

      // Provisioning, every Tenant created at once (100 creations in flight).
      say(`creating ${TENANTS} Tenants`);
      cpu = cpuSnapshot();
      const round = await applyAndWait(kube, namespace, names, {
        timeoutMs: Math.max(300_000, TENANTS * 1_000),
        listEveryMs: 30_000,
      });
      const provisioning = cpuBetween(cpu, cpuSnapshot(), availableParallelism());
      readyCount = TENANTS - round.notReady;
      Object.assign(details, {
        ready: readyCount,
        notReady: round.notReady,
        provisionWallS: provisioning.cpuWallS,
        provisionTenantsPerS: round.rate.toFixed(2),
        provisionP50Ms: Math.round(percentile(round.latenciesMs, 50)),
        provisionP99Ms: Math.round(percentile(round.latenciesMs, 99)),
        provisionServerCpuSPerTenant: (serverCpuSeconds(provisioning) / TENANTS).toFixed(3),
        ...(await meanStepSeconds(metrics.stepDuration)),
        ...Object.fromEntries(Object.entries(provisioning).map(([k, v]) => [`provision_${k}`, v])),
      });
      say(`${readyCount} of ${TENANTS} Ready at ${round.rate.toFixed(2)} tenants/s`);
      process.stdout.write(breakdown(stepMeansOf(details), provisioning));
      for (const [key, { count, sample }] of failures.counts) {
        details[key] = count;
        process.stdout.write(`  ${key} x${count}: ${sample}\n`);
      }

      // Settled: nothing queued or in flight (a Tenant retried with backoff would be).
      await waitUntil(
        'the work queue drained',
        async () => (await gaugeSum(metrics.queueDepth)) === 0 && (await gaugeSum(metrics.inFlight)) === 0,
        120_000,
      );
      await sleep(5_000);

      // Steady state: only the drift sweep runs.
      const sweepsBefore = await histogramCount(metrics.driftSweepDuration);
      cpu = cpuSnapshot();
      await sleep(STEADY_MS);
      steady = cpuBetween(cpu, cpuSnapshot(), availableParallelism());
      const sweepsAfter = await histogramCount(metrics.driftSweepDuration);
      const sweeps = sweepsAfter.count - sweepsBefore.count;
      Object.assign(details, {
        steadySweeps: sweeps,
        steadySweepMeanS: (sweeps > 0 ? (sweepsAfter.sum - sweepsBefore.sum) / sweeps : Number.NaN).toFixed(
          2,
        ),
        steadySweepOnlyServerCpuSPerMin: perMinute(steady).toFixed(2),
        steadyOperatorCpuSPerMin: (
          Number(steady['cpuS_operator+bench']) /
          (Number(steady.cpuWallS) / 60)
        ).toFixed(2),
        ...Object.fromEntries(Object.entries(steady).map(([k, v]) => [`steady_${k}`, v])),
      });
      say(`steady (sweeps only): ${perMinute(steady).toFixed(2)} server CPU-s/min, ${sweeps} sweeps`);
      process.stdout.write(breakdown({}, steady, 'settled, sweeps only'));

      // Memory: the operator's heap per Tenant, and the servers' resident memory at this size.
      const after = heapAfterGc();
      heapPerTenantKb = ((after.heapMb - before.heapMb) * 1024) / Math.max(1, readyCount);
      Object.assign(details, {
        operatorHeapMbBefore: before.heapMb.toFixed(1),
        operatorHeapMbAfter: after.heapMb.toFixed(1),
        operatorHeapKbPerTenant: heapPerTenantKb.toFixed(1),
        operatorRssMbBefore: before.rssMb.toFixed(0),
        operatorRssMbAfter: after.rssMb.toFixed(0),
        operatorExternalMbBefore: before.externalMb.toFixed(1),
        operatorExternalMbAfter: after.externalMb.toFixed(1),
        ...serverRssMb(),
      });
      say(
        `operator heap ${before.heapMb.toFixed(1)} -> ${after.heapMb.toFixed(1)} MB (${heapPerTenantKb.toFixed(1)} KB/tenant), rss ${before.rssMb.toFixed(0)} -> ${after.rssMb.toFixed(0)} MB, external ${before.externalMb.toFixed(1)} -> ${after.externalMb.toFixed(1)} MB`,
      );

      // One resync: every Tenant queued, as the controller's timer does.
      const reconcilesBefore = await gaugeSum(metrics.reconciles);
      cpu = cpuSnapshot();
      const queued = tenantController.enqueueMatching(() => true);
      resyncDone = await waitUntil(
        'the resync',
        async () =>
          (await gaugeSum(metrics.reconciles)) >= reconcilesBefore + queued &&
          (await gaugeSum(metrics.queueDepth)) === 0 &&
          (await gaugeSum(metrics.inFlight)) === 0,
        900_000,
      );
      resync = cpuBetween(cpu, cpuSnapshot(), availableParallelism());
      const resyncServerCpuS = serverCpuSeconds(resync);
      const steadyPerMin = perMinute(steady) + resyncServerCpuS / DEFAULT_RESYNC_MINUTES;
      Object.assign(details, {
        resyncQueued: queued,
        resyncCompleted: String(resyncDone),
        resyncWallS: resync.cpuWallS,
        resyncServerCpuS: resyncServerCpuS.toFixed(1),
        resyncServerCpuSPerTenant: (resyncServerCpuS / Math.max(1, queued)).toFixed(3),
        steadyServerCpuSPerMin: steadyPerMin.toFixed(2),
        ...Object.fromEntries(Object.entries(resync).map(([k, v]) => [`resync_${k}`, v])),
      });
      say(`resync of ${queued}: ${resync.cpuWallS} s, ${resyncServerCpuS.toFixed(1)} server CPU-s`);
      process.stdout.write(breakdown({}, resync, 'during the resync'));

      // Drift at this size: five things of five Tenants removed by hand at once, twice: at whatever
      // point of the sweep's 30 s the bench got to (round 1), and right after a sweep ended
      // (round 2: the longest wait for the next one, the worst case).
      for (const round of [1, 2] as const) {
        if (round === 2) {
          const sweeps = (await histogramCount(metrics.driftSweepDuration)).count;
          await waitUntil(
            'a sweep to end',
            async () => (await histogramCount(metrics.driftSweepDuration)).count > sweeps,
            90_000,
            200,
          );
        }
        const ms = await driftRound(clients, names.slice(5 * round - 4, 5 * round + 1));
        for (const [what, value] of Object.entries(ms)) {
          drift[`${what}${round}`] = value;
          details[`drift${round}_${what}_ms`] =
            value === undefined ? `not back within ${DRIFT_WAIT_MS / 1000} s` : Math.round(value);
        }
        say(
          `drift round ${round} corrected (ms): ${JSON.stringify(ms, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
        );
      }

      // Cleanup, timed: every Tenant deleted through the operator (Delete policy).
      const cleanupStarted = performance.now();
      await deleteAll(kube, namespace, Math.max(180_000, TENANTS * 600));
      details.cleanupS = ((performance.now() - cleanupStarted) / 1000).toFixed(1);
      say(`deleted in ${details.cleanupS} s`);
    } finally {
      await stopInOrder(
        operator.stoppables.map((part) => ({ name: part.name, stop: () => stopWithin(part, 30_000) })),
        logger,
      );
      // What a Delete keeps on purpose (lifecycle and keys topics) is bench data: remove it.
      const { Kafka } = kafkajs;
      const admin = new Kafka({
        brokers: config.KAFKA_BROKERS.split(','),
        sasl: {
          mechanism: 'scram-sha-512',
          username: config.KAFKA_USERNAME,
          password: config.KAFKA_PASSWORD,
        },
      }).admin();
      await admin.connect();
      const leftovers = (await admin.listTopics()).filter((t) => t.startsWith(`parley.bs${run}-`));
      for (let i = 0; i < leftovers.length; i += 50)
        await admin.deleteTopics({ topics: leftovers.slice(i, i + 50), timeout: 60_000 });
      await admin.disconnect();
      const { MongoClient } = await import('mongodb');
      const registryClient = await MongoClient.connect(config.MONGO_URL);
      await registryCollection(registryClient).deleteMany({ _id: { $regex: `^bs${run}-` } });
      await registryClient.close();
      await kube.core.deleteNamespace({ name: namespace }).catch(() => {});
    }
    const steadyPerMin = Number(details.steadyServerCpuSPerMin);
    const driftMs = Object.values(drift);
    return {
      parley: {
        label: `server CPU-s per minute, ${readyCount} Tenants settled (sweeps + a resync per ${DEFAULT_RESYNC_MINUTES} min)`,
        value: steadyPerMin,
        unit: 'CPU-s/min',
      },
      reference: {
        label: 'server CPU-s per minute, the same stack idle (operator running, no Tenant)',
        value: perMinute(idle),
        unit: 'CPU-s/min',
      },
      details,
      goalMet:
        readyCount === TENANTS &&
        resyncDone &&
        steadyPerMin <= STEADY_CPU_S_PER_MIN_GOAL &&
        heapPerTenantKb <= HEAP_KB_PER_TENANT_GOAL &&
        driftMs.length === 10 &&
        driftMs.every((ms) => ms !== undefined && ms <= DRIFT_GOAL_MS),
    };
  },
};

export default benchmark;
