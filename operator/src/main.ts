/**
 * The operator process: reads config, connects to the stores and the API server, builds the
 * reconcilers, campaigns for leadership and serves /health, /ready and /metrics. Nothing else.
 */
import { hostname } from 'node:os';
import { createLogger, createServiceApp, loadConfigOrExit, runService } from '@parley/kit';
import { connectOperatorClients } from './clients.ts';
import { OperatorConfigSchema } from './config.ts';
import { startOperator } from './start-operator.ts';

const config = loadConfigOrExit(OperatorConfigSchema);
const logger = createLogger({ service: 'operator', level: config.LOG_LEVEL });
const clients = await connectOperatorClients(config, logger);
const app = createServiceApp({
  service: 'operator',
  logger,
  readiness: { mongodb: clients.mongo.ping, redis: clients.redis.ping, kafka: clients.kafka.ping },
});
const operator = await startOperator(config, clients, {
  logger,
  identity: config.OPERATOR_IDENTITY ?? `${hostname()}-${process.pid}`,
  metricsRegistry: app.metricsRegistry,
  onLostLeadership: () => {
    logger.error('lost the leader lease: exiting so a fresh process starts as a standby');
    process.exit(1);
  },
});
await runService({
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  stoppables: operator.stoppables,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
