/**
 * buildApp: one socket replica: kit's Fastify base (health, ready, metrics) with the socket.io
 * server on the same HTTP server, the delivery worker and what ends sessions. Never listens
 * (main.ts does; tests listen on port 0).
 */
import { createServiceApp, type ServiceApp, type Worker } from '@parley/kit';
import type { SocketComponents } from './components.ts';
import type { Presence } from './realtime/presence.ts';
import { PresenceStore } from './realtime/presence-store.ts';
import { SessionEnders } from './realtime/session-enders.ts';
import { SocketMetrics } from './realtime/socket-metrics.ts';
import { createSocketServer, type ParleyIo } from './realtime/socket-server.ts';
import { Delivery } from './workers/delivery.ts';

export interface SocketReplica {
  app: ServiceApp;
  io: ParleyIo;
  delivery: Delivery;
  presence: Presence;
  /** Started before listening, stopped after the server drained (in this order). */
  workers: Worker[];
}

export function buildApp(components: SocketComponents): SocketReplica {
  const app = createServiceApp({
    service: 'socket',
    logger: components.logger,
    readiness: components.readiness,
  });
  const metrics = new SocketMetrics(app.metricsRegistry);
  const { io, presence } = createSocketServer({
    httpServer: app.server,
    adapter: components.adapter,
    messaging: components.messaging,
    logger: components.logger,
    metrics,
    maxPayloadBytes: components.settings.MAX_PAYLOAD_BYTES,
    eventsPerSecond: components.settings.CLIENT_EVENTS_PER_SECOND,
    authenticate: components.authenticate,
    presenceStore: new PresenceStore(components.redis, components.settings.PRESENCE_TTL_MS),
    presence: {
      ttlMs: components.settings.PRESENCE_TTL_MS,
      graceMs: components.settings.PRESENCE_GRACE_MS,
      batchMs: components.settings.PRESENCE_BATCH_MS,
    },
  });
  const delivery = new Delivery({
    io,
    kafka: components.kafka,
    messaging: components.messaging,
    bodies: components.bodies,
    logger: components.logger,
    metrics,
    replicaId: components.replicaId,
    topicRefreshMs: components.settings.TOPIC_REFRESH_MS,
  });
  const enders = new SessionEnders({
    io,
    auth: components.authClient,
    gate: components.tenantGate,
    logger: components.logger,
    intervalMs: components.tenantCheckIntervalMs,
  });
  // Draining: refuse new sockets, then disconnect ours in slices over drainSpreadMs, so clients
  // (which reconnect after a server-side disconnect, with jitter) land on the other replicas
  // without a thundering herd; the HTTP server can then close.
  app.addHook('preClose', async () => {
    io.use((_socket, next) => next(new Error('draining')));
    const sockets = [...io.of('/').sockets.values()];
    const slices = 10;
    const spread = components.drainSpreadMs;
    for (let i = 0; i < slices; i += 1) {
      for (const socket of sockets.slice((i * sockets.length) / slices, ((i + 1) * sockets.length) / slices))
        socket.disconnect(true);
      if (sockets.length > 0) await new Promise((resolve) => setTimeout(resolve, spread / slices));
    }
    io.engine.close();
  });
  return {
    app,
    io,
    delivery,
    presence,
    workers: [
      {
        name: 'auth-client',
        start: () => components.authClient.start(),
        stop: () => components.authClient.stop(),
      },
      enders,
      presence,
      delivery,
    ],
  };
}
