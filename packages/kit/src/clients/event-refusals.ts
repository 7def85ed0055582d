/**
 * Events refused because they name another tenant than where they were read (an outbox in
 * `parley_a` carrying an event for tenant b, an envelope for b on `parley.a.audit`), and other
 * events a relay or consumer must never act on. Such an event is an attack or a bug of the
 * highest severity, so it is counted where an alert can see it.
 *
 * One process-wide counter, in a registry of kit's own that every app's /metrics also serves:
 * relays and consumers are built before (and apart from) the Fastify app, and a process with two
 * apps (a test) must not register the metric twice.
 */
import { Counter, Registry } from 'prom-client';

/** Why an event was refused; `component` says who refused it (the relay, a consumer group). */
export type EventRefusalReason =
  | 'tenant-mismatch'
  | 'topic-mismatch'
  | 'unknown-database'
  | 'malformed'
  | 'no-such-job';

export const eventRefusalRegistry = new Registry();

const refused = new Counter({
  name: 'parley_events_refused_total',
  help: 'Events refused and never acted on (another tenant named than the database or topic read, a GDPR request with no job), by component and reason',
  labelNames: ['component', 'reason'],
  registers: [eventRefusalRegistry],
});

export const eventRefusals = {
  count(component: string, reason: EventRefusalReason, by = 1): void {
    refused.inc({ component, reason }, by);
  },
  /** How many were refused so far in this process (tests, and a caller's own summary). */
  async total(component: string, reason: EventRefusalReason): Promise<number> {
    const { values } = await refused.get();
    return values.find((v) => v.labels.component === component && v.labels.reason === reason)?.value ?? 0;
  },
};

/** Short, printable forms of values an attacker chose, for a log line (never the payload). */
export function loggable(value: unknown, max = 64): string {
  return typeof value === 'string' ? value.slice(0, max) : `<${value === null ? 'null' : typeof value}>`;
}
