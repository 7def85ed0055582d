/**
 * The Fastify base every service builds on: request ids, JSON logs, body limits, TypeBox schemas
 * as validation and types, problem-details errors, /health, /ready and /metrics, and the OpenAPI
 * document of every route at /documentation (openapi.ts). It never
 * listens: main.ts does (see run-service.ts), and tests drive it with inject().
 */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { answerFrameworkError } from './framework-errors.ts';
import { createMetricsRegistry } from './metrics.ts';
import type { ReadinessCheck } from './probes.ts';
import type { ServiceCallers } from './service-auth.ts';
import { serviceCredential } from './service-credential.ts';
import { applyPlugin, metrics, openApi, probes, problemDetails } from './shared-plugins.ts';
import { type TenantGate, tenantGate } from './tenant-gate.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export interface ServiceAppOptions {
  /** Short service name, e.g. "crypto"; names its metrics and log lines. */
  service: string;
  logger: Logger;
  /** The API version its OpenAPI document states (0.1.0 by default). */
  version?: string;
  /** Each of the service's own dependencies, checked by /ready. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  /**
   * The proxies (addresses, CIDR ranges) whose X-Forwarded-For sets `request.ip`; default none,
   * so `request.ip` is the peer's address and a forwarded header changes nothing.
   */
  trustProxy?: readonly string[];
  /**
   * The callers it accepts (SERVICE_TOKENS parsed, or one bare token in tests): decorates the app
   * with `serviceCallers` and the guard `app.serviceCredential(options)` (service-credential.ts).
   */
  callers?: ServiceCallers | string;
  /** The tenant gate: decorates the app with `tenantGate` and the hook `app.servedTenant` (tenant-gate.ts). */
  tenantGate?: TenantGate;
}

export type ServiceApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
> & { metricsRegistry: Registry };

export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    // An empty list is trustProxy false: no forwarded header is believed.
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    requestIdHeader: false,
    // Honour a caller's request id when it is well-formed, so one id follows a request across services.
    genReqId: (request) => {
      const incoming = request.headers[REQUEST_ID_HEADER];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError(REQUEST_ID_HEADER),
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Callback-style hooks: on this hot path an async hook's extra promise is measurable.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // A drain must end. `close()` stops accepting and closes the connections idle at that moment,
  // but a keep-alive connection whose request was in flight would stay open after its answer
  // (Fastify's keepAliveTimeout is 72 s, and undici, as every service client, keeps it that long),
  // so the close waited out SHUTDOWN_TIMEOUT_MS and the process exited 1 with its workers never
  // stopped (lifecycle-process.test.ts). Once closing, every answer says `Connection: close`, and
  // Node ends the connection after it.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing && request.raw.httpVersionMajor === 1) reply.header('connection', 'close');
    done(null, payload);
  });

  // The shared plugins, once, on the root (shared-plugins.ts says why they are applied, not registered).
  // OpenAPI first, so the document sees every route, the kit's own included.
  applyPlugin(app, openApi, {
    service: options.service,
    ...(options.version ? { version: options.version } : {}),
  });
  const registry = createMetricsRegistry(options.service);
  applyPlugin(app, problemDetails, {});
  applyPlugin(app, probes, { checks: options.readiness ?? {} });
  applyPlugin(app, metrics, { service: options.service, registry });
  if (options.callers !== undefined) applyPlugin(app, serviceCredential, { callers: options.callers });
  if (options.tenantGate) applyPlugin(app, tenantGate, { gate: options.tenantGate });
  return Object.assign(app, { metricsRegistry: registry }) as ServiceApp;
}
