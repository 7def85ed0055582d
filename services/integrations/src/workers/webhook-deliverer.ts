/**
 * The deliverer (worker `integrations.webhook-deliveries`): every WEBHOOK_SWEEP_MS it looks, in
 * each tenant with webhook endpoints, for each endpoint's due deliveries, claims them (a lease of
 * the attempt's time limit and a margin) and sends them, at most WEBHOOK_CONCURRENCY at once
 * across endpoints. A pass that sent something runs again at once, so a backlog drains at the
 * receivers' pace rather than the sweep's.
 *
 * Each attempt is recorded on the delivery (status code or error, duration; the newest 20 kept):
 * a 2xx delivers it; anything else is due again after an exponential, jittered delay
 * (WEBHOOK_RETRY_INITIAL_MS doubling up to WEBHOOK_RETRY_MAX_MS) until WEBHOOK_MAX_ATTEMPTS,
 * then it is failed (an admin may replay it). An address the egress policy refuses fails it at
 * once. While an endpoint's breaker is open the endpoint is passed over; then one delivery (the
 * least tried) probes it (see pass()).
 *
 * The body is built at each attempt from the delivery (the message's text opened with the
 * tenant's key from the sealed body the event carried), Standard Webhooks' `{type, timestamp,
 * data}`; the same event yields the same bytes every time.
 */
import { MESSAGE_BODY_PURPOSE, SealedMessageBodySchema, type WebhookPayload } from '@parley/contracts';
import type { EnvelopeEncryptor } from '@parley/crypto-client';
import { KeyringError } from '@parley/keyring';
import { type Logger, metricPrefix, PeriodicTask } from '@parley/kit';
import { Counter, Histogram, type Registry } from 'prom-client';
import { Compile } from 'typebox/compile';
import type { WebhookDeliveries, WebhookDeliveryDocument } from '../domain/webhook-deliveries.ts';
import type { DeliveryTarget, WebhookEndpoints } from '../domain/webhook-endpoints.ts';
import { retryDelayMs, type WebhookSender } from '../domain/webhook-sender.ts';

const bodyCheck = Compile(SealedMessageBodySchema);
/** Due deliveries taken per endpoint per pass. */
const PER_ENDPOINT_BATCH = 100;
/** Passes run back to back while they find work, before waiting a sweep interval again. */
const MAX_PASSES_IN_A_ROW = 50;

/** The delivery that probes an endpoint whose breaker may half-open: the least tried, then the oldest. */
function leastTried(docs: WebhookDeliveryDocument[]): WebhookDeliveryDocument[] {
  let best: WebhookDeliveryDocument | undefined;
  for (const doc of docs)
    if (
      !best ||
      doc.roundAttempts < best.roundAttempts ||
      (doc.roundAttempts === best.roundAttempts && doc.nextAttemptAt < best.nextAttemptAt)
    )
      best = doc;
  return best ? [best] : [];
}

export interface DeliveryMetrics {
  attempts: Counter<'tenant' | 'outcome'>;
  latency: Histogram<'tenant'>;
  breakerOpened: Counter<'tenant'>;
}

export function deliveryMetrics(registry: Registry): DeliveryMetrics {
  const prefix = metricPrefix('integrations');
  return {
    attempts: new Counter({
      name: `${prefix}webhook_attempts_total`,
      help: 'Outgoing webhook delivery attempts, by outcome (delivered, retry, failed, circuit-open)',
      labelNames: ['tenant', 'outcome'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: `${prefix}webhook_delivery_seconds`,
      help: 'From the event to its delivery acknowledged by the receiver, per tenant',
      labelNames: ['tenant'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60, 600],
      registers: [registry],
    }),
    breakerOpened: new Counter({
      name: `${prefix}webhook_breaker_opened_total`,
      help: "Times an endpoint's circuit breaker opened (its receiver kept failing), per tenant",
      labelNames: ['tenant'],
      registers: [registry],
    }),
  };
}

export interface DelivererOptions {
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveries;
  sender: WebhookSender;
  encryptor: EnvelopeEncryptor;
  /** The tenants to look in (those with endpoints). */
  tenants: () => Promise<string[]>;
  logger: Logger;
  metrics: DeliveryMetrics;
  sweepMs: number;
  concurrency: number;
  timeoutMs: number;
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export class WebhookDeliverer {
  readonly name = 'integrations.webhook-deliveries';
  readonly #options: DelivererOptions;
  readonly #task: PeriodicTask<number>;

  constructor(options: DelivererOptions) {
    this.#options = options;
    this.#task = new PeriodicTask({
      name: this.name,
      intervalMs: options.sweepMs,
      logger: options.logger,
      run: () => this.#drain(),
      runAtStart: true,
    });
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** Passes until one finds nothing due (tests and the consumer's nudge call it). */
  runNow(): Promise<number> {
    return this.#task.runNow();
  }

  async #drain(): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_PASSES_IN_A_ROW; i++) {
      const sent = await this.pass();
      total += sent;
      if (sent === 0) break;
    }
    return total;
  }

  /**
   * One pass over every tenant's endpoints; how many attempts it made. An endpoint whose breaker
   * is open is passed over (nothing read, nothing claimed); once its open time is over, a single
   * delivery probes it: of its due deliveries, the one tried least in this round (the oldest
   * among equals). Each delivery is thus tried only when its own retry schedule says so, and the
   * probes go round the backlog instead of spending one delivery's attempts until it fails.
   */
  async pass(): Promise<number> {
    const { endpoints, deliveries, sender } = this.#options;
    const work: { tenant: string; target: DeliveryTarget; docs: WebhookDeliveryDocument[] }[] = [];
    for (const tenant of await this.#options.tenants()) {
      for (const endpoint of await endpoints.documents(tenant)) {
        const allowance = sender.allowance(tenant, endpoint._id);
        if (allowance === 'open') continue;
        let docs = await deliveries.due(tenant, endpoint._id, PER_ENDPOINT_BATCH);
        if (allowance === 'probe') docs = leastTried(docs);
        if (docs.length > 0) work.push({ tenant, target: await endpoints.target(tenant, endpoint), docs });
      }
    }
    // The endpoints' queues side by side; within one, up to the concurrency too (order is not
    // promised by at-least-once delivery; receivers order by the payload's timestamp).
    const queue = work.flatMap((w) => w.docs.map((doc) => ({ tenant: w.tenant, target: w.target, doc })));
    const openCircuits = new Set<string>();
    let attempted = 0;
    const next = async (): Promise<void> => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        if (openCircuits.has(`${item.tenant}\u0000${item.target.id}`)) continue;
        const outcome = await this.#deliver(item.tenant, item.target, item.doc);
        if (outcome === 'circuit-open') openCircuits.add(`${item.tenant}\u0000${item.target.id}`);
        else if (outcome === 'attempted') attempted++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, queue.length) }, next));
    return attempted;
  }

  async #deliver(
    tenant: string,
    target: DeliveryTarget,
    doc: WebhookDeliveryDocument,
  ): Promise<'attempted' | 'circuit-open' | 'skipped'> {
    const o = this.#options;
    // The lease: the attempt's time limit and a margin; a deliverer that dies leaves it due after.
    if (!(await o.deliveries.claim(tenant, doc, o.timeoutMs + 5_000))) return 'skipped';
    const body = await this.#bodyOf(tenant, doc);
    const at = new Date();
    if (body === undefined) {
      await o.deliveries.record(
        tenant,
        doc,
        { at, error: "the message's body no longer opens (its tenant key was destroyed)", durationMs: 0 },
        { status: 'failed' },
      );
      o.metrics.attempts.inc({ tenant, outcome: 'failed' });
      return 'attempted';
    }
    const result = await o.sender.send(tenant, target, doc.eventId, body);
    if (result.kind === 'circuit-open') {
      o.metrics.attempts.inc({ tenant, outcome: 'circuit-open' });
      // The breaker opened while this pass ran: given back untried and still due (the next
      // passes skip the endpoint until its open time is over).
      await o.deliveries.release(tenant, doc, new Date());
      return 'circuit-open';
    }
    if (result.kind === 'delivered') {
      await o.deliveries.record(
        tenant,
        doc,
        { at, statusCode: result.statusCode, durationMs: result.durationMs },
        { status: 'delivered' },
      );
      o.metrics.attempts.inc({ tenant, outcome: 'delivered' });
      o.metrics.latency.observe({ tenant }, Math.max(0, (Date.now() - doc.eventTime.getTime()) / 1000));
      return 'attempted';
    }
    const attempt = {
      at,
      ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
      error: result.error,
      durationMs: result.durationMs,
    };
    const lastAttempt = result.permanent || doc.roundAttempts + 1 >= o.maxAttempts;
    await o.deliveries.record(
      tenant,
      doc,
      attempt,
      lastAttempt
        ? { status: 'failed' }
        : {
            status: 'pending',
            retryAt: new Date(
              Date.now() + retryDelayMs(doc.roundAttempts + 1, o.retryInitialMs, o.retryMaxMs),
            ),
          },
    );
    o.metrics.attempts.inc({ tenant, outcome: lastAttempt ? 'failed' : 'retry' });
    if (lastAttempt)
      o.logger.warn(
        { tenant, endpointId: target.id, deliveryId: doc._id, error: result.error },
        'webhook delivery failed for good',
      );
    return 'attempted';
  }

  /** The JSON body of the delivery; undefined when its sealed text no longer opens. */
  async #bodyOf(tenant: string, doc: WebhookDeliveryDocument): Promise<string | undefined> {
    const timestamp = doc.eventTime.toISOString();
    if (doc.member) {
      if (doc.eventType !== 'member.joined' && doc.eventType !== 'member.removed') return undefined;
      const payload: WebhookPayload = { type: doc.eventType, timestamp, data: doc.member };
      return JSON.stringify(payload);
    }
    if (
      !doc.messageId ||
      !doc.senderId ||
      !doc.messageCreatedAt ||
      (doc.eventType !== 'message.created' &&
        doc.eventType !== 'message.edited' &&
        doc.eventType !== 'message.deleted')
    )
      return undefined;
    let text: string | undefined;
    if (doc.sealed) {
      try {
        const plain = await this.#options.encryptor.decrypt(
          tenant,
          MESSAGE_BODY_PURPOSE,
          Buffer.from(doc.sealed, 'base64'),
          Buffer.from(doc.messageId),
        );
        const body: unknown = JSON.parse(plain.toString('utf8'));
        if (!bodyCheck.Check(body)) return undefined;
        text = body.text;
      } catch (error) {
        if (error instanceof KeyringError) return undefined;
        throw error;
      }
    }
    const payload: WebhookPayload = {
      type: doc.eventType,
      timestamp,
      data: {
        conversationId: doc.conversationId,
        messageId: doc.messageId,
        senderId: doc.senderId,
        ...(text !== undefined ? { text } : {}),
        createdAt: doc.messageCreatedAt,
        ...(doc.parentId ? { parentId: doc.parentId } : {}),
      },
    };
    return JSON.stringify(payload);
  }
}
