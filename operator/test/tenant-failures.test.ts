import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../src/api/resources.ts';
import { createPlatformaticAdmin } from '../src/clients.ts';
import {
  conditions,
  kubectl,
  kubectlOk,
  sample,
  uniqueId,
  waitForCondition,
  withoutAdmins,
} from './operator-fixture.ts';
import { operatorSuite, testReconciler } from './operator-suite.ts';

async function applyRefused(yaml: string): Promise<string> {
  const result = await kubectl(['apply', '-n', namespace, '-f', '-'], yaml);
  expect(result.code).not.toBe(0);
  return result.stderr;
}

const tenantYaml = (name: string, spec: string) =>
  `apiVersion: parley.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

// No operator at first: the invalid specs are the API server's alone, and the Kafka test starts
// the one it needs. Cleanup starts one for the finalizers.
const suite = operatorSuite({
  prefix: 'optf-',
  startOperator: false,
  setupTimeoutMs: 60_000,
  cleanupTimeoutMs: 120_000,
});
const { namespace } = suite;

describe('invalid specs', { timeout: 180_000 }, () => {
  it('are refused by the API server with a message that says what is wrong', async () => {
    expect(await applyRefused(tenantYaml('Not_A_Label', '  displayName: x\n  plan: free\n'))).toMatch(
      /tenant id: a lower-case DNS label/,
    );
    expect(await applyRefused(tenantYaml('platform', '  displayName: x\n  plan: free\n'))).toMatch(
      /reserved tenant id/,
    );
    expect(await applyRefused(tenantYaml(uniqueId('x'), '  displayName: x\n  plan: gold\n'))).toMatch(
      /spec.plan: Unsupported value: "gold"/,
    );
    expect(
      await applyRefused(
        tenantYaml(uniqueId('x'), '  displayName: x\n  plan: free\n  admins: [not-an-email]\n'),
      ),
    ).toMatch(/spec.admins\[0\]/);
    expect(
      await applyRefused(
        tenantYaml(uniqueId('x'), '  displayName: x\n  plan: free\n  deletionPolicy: Shred\n'),
      ),
    ).toMatch(/spec.deletionPolicy: Unsupported value: "Shred"/);
    const krs = (spec: string) =>
      `apiVersion: parley.dev/v1alpha1\nkind: KeyRotationSchedule\nmetadata:\n  name: ${uniqueId('k')}\nspec:\n  tenantRef: {name: acme}\n${spec}`;
    expect(await applyRefused(krs('  period: 30m\n'))).toMatch(/period must be at least 1h/);
    expect(await applyRefused(krs('  period: 2h\n  cron: "0 3 * * *"\n'))).toMatch(
      /set exactly one of period or cron/,
    );
    const rp = (rules: string) =>
      `apiVersion: parley.dev/v1alpha1\nkind: RetentionPolicy\nmetadata:\n  name: ${uniqueId('r')}\nspec:\n  tenantRef: {name: acme}\n  rules:\n${rules}`;
    expect(await applyRefused(rp('    - {resource: audit, maxAge: 30d}\n'))).toMatch(
      /audit records must be kept at least 365d/,
    );
    expect(
      await applyRefused(
        rp('    - {resource: messages, maxAge: 30d}\n    - {resource: messages, maxAge: 60d}\n'),
      ),
    ).toMatch(/at most one rule per resource may omit conversationSelector/);
  });

  it('refuses changes that must not happen: shrinking partitions, changing replication, lowering minDecryptionVersion', async () => {
    const name = uniqueId('tv');
    suite.track(name);
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      tenantYaml(name, '  displayName: x\n  plan: free\n  kafka: {partitions: 2}\n'),
    );
    const shrink = await kubectl([
      'patch',
      '-n',
      namespace,
      'tenant',
      name,
      '--type',
      'merge',
      '-p',
      '{"spec":{"kafka":{"partitions":1}}}',
    ]);
    expect(shrink.stderr).toMatch(/kafka.partitions may only grow/);
    const replication = await kubectl([
      'patch',
      '-n',
      namespace,
      'tenant',
      name,
      '--type',
      'merge',
      '-p',
      '{"spec":{"kafka":{"replicationFactor":3}}}',
    ]);
    expect(replication.stderr).toMatch(/kafka.replicationFactor is immutable/);
    const schedule = uniqueId('k');
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      `apiVersion: parley.dev/v1alpha1\nkind: KeyRotationSchedule\nmetadata:\n  name: ${schedule}\nspec:\n  tenantRef: {name: ${name}}\n  period: 24h\n  minDecryptionVersion: 2\n`,
    );
    const lower = await kubectl([
      'patch',
      '-n',
      namespace,
      'keyrotationschedule',
      schedule,
      '--type',
      'merge',
      '-p',
      '{"spec":{"minDecryptionVersion":1}}',
    ]);
    expect(lower.stderr).toMatch(/minDecryptionVersion may only rise/);
    const retarget = await kubectl([
      'patch',
      '-n',
      namespace,
      'keyrotationschedule',
      schedule,
      '--type',
      'merge',
      '-p',
      '{"spec":{"tenantRef":{"name":"other"}}}',
    ]);
    expect(retarget.stderr).toMatch(/tenantRef is immutable/);
    await kubectlOk(['delete', '-n', namespace, 'keyrotationschedule', schedule]);
  });

  it('are explained by kubectl explain from the schema descriptions', async () => {
    expect(await kubectlOk(['explain', 'tenant.spec.deletionPolicy'])).toMatch(
      /CryptoShred\s+schedules\s+the\s+tenant's\s+keys\s+for\s+destruction\s+first/,
    );
    expect(await kubectlOk(['explain', 'keyrotationschedule.spec.period'])).toMatch(/At\s+least\s+1h/);
  });
});

describe('Kafka down in the middle of a reconcile', { timeout: 180_000 }, () => {
  it('reports Ready=False with KafkaUnavailable while every other step succeeds, then converges', async () => {
    const name = uniqueId('tk');
    suite.track(name);
    const op = await suite.restart({ OPERATOR_CONCURRENCY: '1' });
    const { config } = op;
    await suite.op.operator.manager.stop(); // the real manager must not reconcile during the broken one
    // Applied only now, finalizer included: the broken reconcile is the first to provision it, so
    // the tenant has never been served (a served one stays Ready in the registry while a step fails).
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', name, (yaml) =>
        withoutAdmins(yaml).replace(
          `  name: ${name}\n`,
          `  name: ${name}\n  finalizers:\n    - ${FINALIZER}\n`,
        ),
      ),
    );
    const deadBroker = '127.0.0.1:1';
    const deadKafka = new Kafka({
      clientId: 'dead',
      brokers: [deadBroker],
      sasl: { mechanism: 'scram-sha-512', username: config.KAFKA_USERNAME, password: config.KAFKA_PASSWORD },
      logLevel: logLevel.NOTHING,
      connectionTimeout: 500,
      retry: { retries: 1, initialRetryTime: 100 },
    }).admin();
    const deadPlatformatic = createPlatformaticAdmin(
      deadBroker,
      config.KAFKA_USERNAME,
      config.KAFKA_PASSWORD,
    );
    const broken = testReconciler(op, {
      kafka: deadKafka,
      kafkaPlatformatic: deadPlatformatic,
      connection: {
        mongoUrl: '',
        redisUrl: config.REDIS_URL,
        kafkaBrokers: deadBroker,
        s3Endpoint: '',
        elasticsearchUrl: '',
      },
    });
    await expect(broken.reconcile({ namespace, name })).rejects.toThrow(/not ready \(KafkaUnavailable\)/);
    await deadPlatformatic.close();
    const after = await conditions(namespace, `tenant/${name}`);
    const byType = Object.fromEntries(after.map((c) => [c.type, c]));
    expect(byType.Ready).toMatchObject({ status: 'False', reason: 'KafkaUnavailable' });
    expect(byType.KafkaTopics).toMatchObject({ status: 'False', reason: 'KafkaUnavailable' });
    expect(byType.KafkaPrincipal).toMatchObject({ status: 'False', reason: 'KafkaUnavailable' });
    expect(byType.Mongo?.status).toBe('True');
    expect(byType.Redis?.status).toBe('True');
    expect(byType.Ready?.message).toMatch(/KafkaTopics/);
    const entry = await suite.op.clients.mongo.client
      .db('parley_platform')
      .collection('tenants')
      .findOne({ _id: name as never });
    expect(entry?.status).toBe('Provisioning');

    // The real operator (reachable broker) converges the same object.
    await suite.restart();
    await waitForCondition(namespace, `tenant/${name}`, 'Ready', 'True', 90_000);
    const entryAfter = await suite.op.clients.mongo.client
      .db('parley_platform')
      .collection('tenants')
      .findOne({ _id: name as never });
    expect(entryAfter?.status).toBe('Ready');
  });
});
