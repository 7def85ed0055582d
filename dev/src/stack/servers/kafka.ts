// Kafka 4, one KRaft node (broker + controller) from the Maven Central jars on the JDK.
// Clients authenticate as in production: SASL SCRAM-SHA-512 on the broker listener, with the
// StandardAuthorizer, so each tenant can get its own principal and ACLs.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaAdminUser } from '../env.ts';
import type { ServerDefinition, StackContext } from '../server.ts';

const run = promisify(execFile);

export function serverProperties(ctx: StackContext, dataDir: string): string {
  const { kafka, kafkaController } = ctx.settings.ports;
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${kafkaAdminUser}" password="${ctx.settings.adminPassword}";`;
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${kafkaController}`,
    `listeners=SASL_PLAINTEXT://127.0.0.1:${kafka},CONTROLLER://127.0.0.1:${kafkaController}`,
    `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${kafka}`,
    'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas}`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    // The controller listener is plaintext on loopback, so the broker reaches it as ANONYMOUS.
    `super.users=User:${kafkaAdminUser};User:ANONYMOUS`,
    `log.dirs=${join(dataDir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are provisioned (by the operator, or by tests), never created by a stray produce.
    'auto.create.topics.enable=false',
  ].join('\n')}\n`;
}

export const log4j2 = `status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
`;

function javaArgs(ctx: StackContext, dataDir: string): string[] {
  return [
    `-Dlog4j2.configurationFile=${join(dataDir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${join(dataDir, 'logs')}`,
    '-cp',
    join(ctx.installed.kafkaLibs, '*'),
  ];
}

/**
 * Formats the KRaft log directory with this cluster id and the admin's SCRAM credential.
 * The id goes in `--cluster-id=`: a base64url id begins with '-' once in 64, and as a separate
 * argument the tool's parser takes it for an option and refuses (a CI run failed so).
 */
export async function formatStorage(ctx: StackContext, dataDir: string, clusterId: string): Promise<void> {
  await run('java', [
    ...javaArgs(ctx, dataDir),
    'kafka.tools.StorageTool',
    'format',
    `--cluster-id=${clusterId}`,
    '-c',
    join(dataDir, 'server.properties'),
    '--add-scram',
    `SCRAM-SHA-512=[name=${kafkaAdminUser},password=${ctx.settings.adminPassword}]`,
  ]);
}

export const kafka: ServerDefinition = {
  name: 'kafka',
  dependsOn: [],
  endpoint: (ctx) =>
    `127.0.0.1:${ctx.settings.ports.kafka} (controller ${ctx.settings.ports.kafkaController})`,
  prepare: async (ctx, dataDir) => {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    writeFileSync(join(dataDir, 'server.properties'), serverProperties(ctx, dataDir));
    writeFileSync(join(dataDir, 'log4j2.properties'), log4j2);
    if (existsSync(join(dataDir, 'data', 'meta.properties'))) return;
    // KRaft storage is formatted once; the admin's SCRAM credential is written at the same time,
    // as no client could create it before a SCRAM user exists.
    await formatStorage(ctx, dataDir, randomBytes(16).toString('base64url'));
  },
  command: (ctx, dataDir) => ({
    file: 'java',
    args: [
      '-Xms256m',
      '-Xmx768m',
      ...javaArgs(ctx, dataDir),
      'kafka.Kafka',
      join(dataDir, 'server.properties'),
    ],
    cwd: dataDir,
  }),
  probe: async (ctx) => {
    const { Kafka, logLevel } = await import('kafkajs');
    const admin = new Kafka({
      clientId: 'parley-stack-probe',
      brokers: [`127.0.0.1:${ctx.settings.ports.kafka}`],
      sasl: { mechanism: 'scram-sha-512', username: kafkaAdminUser, password: ctx.settings.adminPassword },
      connectionTimeout: 2000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('kafka: no broker registered yet');
    } catch (error) {
      const message = (error as Error).message;
      if (!/invalid credentials/.test(message)) throw error;
      // A metadata log from before the operator stopped removing SCRAM users cannot be replayed by
      // Kafka 4.1-4.3 without losing every credential (operator/src/tenant/steps/kafka-principal.ts).
      throw new Error(
        `${message}. If this persists, the Kafka data in ${join(ctx.settings.runDir, 'kafka', 'data')} was written while Parley's operator still removed SCRAM users, which Kafka cannot replay (dev/README.md, "Kafka"): stop the stack, move that folder away and start it again`,
      );
    } finally {
      await admin.disconnect();
    }
  },
  readyTimeoutMs: 90_000,
};
