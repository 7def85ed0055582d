/**
 * Integration-test fixture: the real operator wiring (startOperator) against the local stack's
 * API server and stores, watching one namespace of its own so test files running side by side
 * never reconcile each other's objects. kubectl is the real one the stack installed.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, stopInOrder } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { MongoClient } from 'mongodb';
import { FORCE_ROTATE_ANNOTATION } from '../src/api/resources.ts';
import { connectOperatorClients, type OperatorClients } from '../src/clients.ts';
import { type OperatorConfig, OperatorConfigSchema } from '../src/config.ts';
import { startOperator } from '../src/start-operator.ts';
import { registryCollection } from '../src/tenant/registry.ts';

const execFileAsync = promisify(execFile);
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export function uniqueId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  const bin = process.env.PARLEY_KUBECTL ?? 'kubectl';
  const child = execFileAsync(bin, args, { env: process.env, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A sample from k8s/samples with its tenant renamed (every "acme" becomes the test's id). */
export async function sample(
  file: string,
  tenant: string,
  edit: (yaml: string) => string = (y) => y,
): Promise<string> {
  const text = await readFile(join(REPO_ROOT, 'k8s', 'samples', file), 'utf8');
  return edit(text.replaceAll('acme', tenant));
}

/** The Tenant sample without its first admins: invitations need the auth service, tested on their own. */
export const withoutAdmins = (yaml: string): string => yaml.replace(/ {2}admins:\n( {4}- .*\n)+/, '');

/**
 * The Tenant sample made disposable for a test: no first admins (so no auth service is needed to
 * become Ready) and deletionPolicy Delete (so the test leaves nothing behind).
 */
export const disposableTenant = (yaml: string): string =>
  withoutAdmins(yaml).replace('deletionPolicy: Retain', 'deletionPolicy: Delete');

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export async function getJson<T = Record<string, unknown>>(
  namespace: string,
  resource: string,
): Promise<T | undefined> {
  const result = await kubectl(['get', '-n', namespace, resource, '-o', 'json']);
  if (result.code !== 0) return undefined;
  return JSON.parse(result.stdout) as T;
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export async function conditions(namespace: string, resource: string): Promise<ConditionView[]> {
  const object = await getJson<{ status?: { conditions?: ConditionView[] } }>(namespace, resource);
  return object?.status?.conditions ?? [];
}

export async function waitForCondition(
  namespace: string,
  resource: string,
  type: string,
  status: string,
  timeoutMs = 60_000,
): Promise<ConditionView[]> {
  let lastSeen: ConditionView[] = [];
  try {
    return await waitFor(
      `${resource} ${type}=${status}`,
      async () => {
        lastSeen = await conditions(namespace, resource);
        return lastSeen.find((c) => c.type === type && c.status === status) ? lastSeen : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    // Say what the object reported last: a bare timeout tells nobody why it never converged.
    const seen = lastSeen.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join('\n  ');
    throw new Error(`${(error as Error).message}; last conditions:\n  ${seen || '(none)'}`);
  }
}

export async function ensureCrdsAndNamespace(namespace: string): Promise<void> {
  await kubectlOk(['apply', '-f', join(REPO_ROOT, 'k8s', 'crds')]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=30s',
    'crd/tenants.parley.dev',
    'crd/retentionpolicies.parley.dev',
    'crd/keyrotationschedules.parley.dev',
  ]);
  const exists = await kubectl(['get', 'namespace', namespace]);
  if (exists.code !== 0) await kubectlOk(['create', 'namespace', namespace]);
}

export interface TestOperator {
  config: OperatorConfig;
  clients: OperatorClients;
  operator: Awaited<ReturnType<typeof startOperator>>;
  stop(): Promise<void>;
}

export function operatorConfig(namespace: string, overrides: Record<string, string> = {}): OperatorConfig {
  return loadConfig(OperatorConfigSchema, {
    ...process.env,
    OPERATOR_LEADER_ELECTION: 'false',
    OPERATOR_WATCH_NAMESPACE: namespace,
    // The operator's own namespace holds the tenants' credential stores: the test's namespace.
    OPERATOR_NAMESPACE: namespace,
    OPERATOR_RESYNC_MS: '2000',
    OPERATOR_CONCURRENCY: '4',
    LOG_LEVEL: 'silent',
    // Nothing listens on port 1: tests that need the auth service say so explicitly.
    AUTH_SERVICE_URL: 'http://127.0.0.1:1',
    ...overrides,
  });
}

export async function startTestOperator(
  namespace: string,
  overrides: Record<string, string> = {},
): Promise<TestOperator> {
  const config = operatorConfig(namespace, overrides);
  const logger = createSilentLogger();
  const clients = await connectOperatorClients(config, logger);
  const operator = await startOperator(config, clients, { logger, identity: uniqueId('test-') });
  return { config, clients, operator, stop: () => stopInOrder(operator.stoppables, logger) };
}

/** A kafkajs client with the stack's platform (admin) credentials, for probes and cleanup. */
async function platformKafka(clientId: string) {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  return new Kafka({
    clientId,
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    sasl: {
      mechanism: 'scram-sha-512',
      username: process.env.KAFKA_USERNAME ?? '',
      password: process.env.KAFKA_PASSWORD ?? '',
    },
    logLevel: logLevel.NOTHING,
  });
}

/**
 * Removes what a Delete-policy deletion keeps on purpose (the lifecycle and keys topics), once
 * the operator has stopped and its relay has published their last events: test data must go.
 * The tenants' registry entries go too: an entry whose events are still pending once its topics
 * are gone could never be published, and every later relay pass (other tests' operators, the
 * local provisioning script) would spend the producer's whole retry budget on it.
 */
export async function removeTenantTopics(tenants: string[]): Promise<void> {
  const admin = (await platformKafka('test-cleanup')).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) =>
      tenants.some((tenant) => t.startsWith(`parley.${tenant}.`)),
    );
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
  const mongo = await MongoClient.connect(process.env.MONGO_URL ?? '');
  try {
    await registryCollection(mongo).deleteMany({ _id: { $in: tenants } });
  } finally {
    await mongo.close();
  }
}

/** Reads a topic from the beginning (as the platform admin) until an event matches, or times out. */
export async function waitForEvent<E extends { type: string }>(
  topic: string,
  matches: (event: E) => boolean,
  timeoutMs = 30_000,
): Promise<E> {
  const kafka = await platformKafka('event-probe');
  const consumer = kafka.consumer({ groupId: uniqueId('probe-') });
  const seen: E[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void seen.push(JSON.parse(String(message.value)) as E),
    });
    return await waitFor(`an event on ${topic}`, async () => seen.find(matches), timeoutMs);
  } finally {
    await consumer.disconnect();
  }
}

/** Asks a KeyRotationSchedule for a rotation now, as a user would: a new value of its annotation. */
export async function forceRotate(namespace: string, schedule: string, value: string): Promise<void> {
  await kubectlOk([
    'annotate',
    '-n',
    namespace,
    'keyrotationschedule',
    schedule,
    `${FORCE_ROTATE_ANNOTATION}=${value}`,
    '--overwrite',
  ]);
}
