/** The socket service's own metrics (`parley_socket_*`), on the app's /metrics registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class SocketMetrics {
  readonly connections: Gauge<'tenant'>;
  readonly handshakes: Counter<'outcome'>;
  readonly eventsIn: Counter<'event' | 'outcome'>;
  readonly eventsOut: Counter<'kind'>;
  readonly deliveryLatency: Histogram;
  readonly deliveredChanges: Counter<'source'>;
  readonly recoveredChanges: Histogram;
  readonly presenceRooms: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({
      name: 'parley_socket_connections',
      help: 'Open sockets on this replica, per tenant',
      labelNames: ['tenant'],
      registers,
    });
    this.handshakes = new Counter({
      name: 'parley_socket_handshakes_total',
      help: 'Handshakes, accepted or refused',
      labelNames: ['outcome'],
      registers,
    });
    this.eventsIn = new Counter({
      name: 'parley_socket_client_events_total',
      help: 'Client events by name and outcome',
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.eventsOut = new Counter({
      name: 'parley_socket_emitted_events_total',
      help: 'Events emitted to rooms on this replica, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'parley_socket_delivery_latency_seconds',
      help: 'From the change in messaging to its emit on this replica',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.deliveredChanges = new Counter({
      name: 'parley_socket_delivered_changes_total',
      help: 'Message changes emitted live, by where their content came from: the Kafka record itself, or a read from messaging',
      labelNames: ['source'],
      registers,
    });
    this.recoveredChanges = new Histogram({
      name: 'parley_socket_recovery_changes',
      help: 'Changes answered per conversation by a sync',
      buckets: [0, 1, 10, 50, 200],
      registers,
    });
    this.presenceRooms = new Histogram({
      name: 'parley_socket_presence_fanout_rooms',
      help: 'Rooms one presence announcement went to (the user, its conversations)',
      buckets: [1, 2, 5, 20, 100, 500],
      registers,
    });
  }
}
