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
import type {
  AttemptOutcome,
  Settlement,
  StoredAttempt,
  WebhookDeliveries,
  WebhookDeliveryDocument,
} from '../domain/webhook-deliveries.ts';
import type {
  DeliveryTarget,
  WebhookEndpointDocument,
  WebhookEndpoints,
} from '../domain/webhook-endpoints.ts';
import { retryDelayMs, type WebhookSender } from '../domain/webhook-sender.ts';

const bodyCheck = Compile(SealedMessageBodySchema);
/** Due deliveries read for a probe (the least tried of them probes). */
const PER_ENDPOINT_BATCH = 100;
/** Due deliveries read per tenant per pass (the endpoints whose breakers are closed). */
const PASS_BATCH = 200;
/** How long a held delivery may wait in memory for a sending slot (part of its lease). */
const QUEUE_WAIT_MS = 10_000;
/** How often a tenant's old claims are pruned. */
const CLAIM_PRUNE_EVERY_MS = 600_000;
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

type Outcome = 'attempted' | 'released';

/** A delivery this deliverer holds (claimed, or enqueued held by the consumer), waiting to be sent. */
interface Held {
  tenant: string;
  target: DeliveryTarget;
  doc: WebhookDeliveryDocument;
  done: (outcome: Outcome) => void;
}

export class WebhookDeliverer {
  readonly name = 'integrations.webhook-deliveries';
  readonly #options: DelivererOptions;
  readonly #task: PeriodicTask<number>;
  /** Held deliveries waiting for a sending slot, oldest first. */
  readonly #queue: Held[] = [];
  #sending = 0;
  /** Settlements waiting for the next write of their tenant, and who waits for them. */
  #unsettled = new Map<string, { settlement: Settlement; settled: PromiseWithResolvers<void> }[]>();
  #flushing: Promise<void> | undefined;
  /** Work started outside a pass (fresh deliveries, pulls forward): stop() waits for it. */
  readonly #outstanding = new Set<Promise<unknown>>();
  /** A pass was asked for while one ran: the drain runs another. */
  #again = false;
  #stopping = false;
  readonly #prunedAt = new Map<string, number>();

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

  /**
   * How long a held delivery is the holder's: time to wait in memory for a slot (QUEUE_WAIT_MS),
   * the attempt's time limit, and a margin for its record. A holder that dies leaves its
   * deliveries due again after it.
   */
  get leaseMs(): number {
    return QUEUE_WAIT_MS + this.#options.timeoutMs + 5_000;
  }

  start(): void {
    this.#task.start();
  }

  /** Stops the sweeps, gives back what waits in memory (due now), and waits for what is under way. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#task.stop();
    const now = new Date();
    for (const held of this.#queue.splice(0)) this.#track(this.#release(held, now, false));
    while (this.#outstanding.size > 0 || this.#flushing) {
      await Promise.allSettled([...this.#outstanding]);
      await this.#flushing;
    }
  }

  /** Passes until one finds nothing due (tests and the replay route call it). */
  runNow(): Promise<number> {
    return this.#task.runNow();
  }

  /** A pass soon: now, or right after the one running. */
  nudge(): void {
    this.#again = true;
    void this.runNow().catch(() => {});
  }

  /**
   * Whether the consumer should enqueue the endpoint's new deliveries held by this deliverer, to
   * be sent from memory (no claim, no due read): while its breaker is closed and the queue has
   * room. Otherwise they are enqueued due and the passes take them.
   */
  accepts(tenant: string, endpointId: string): boolean {
    return (
      !this.#stopping &&
      this.#queue.length < Math.max(100, this.#options.concurrency * 50) &&
      this.#options.sender.allowance(tenant, endpointId) === 'closed'
    );
  }

  /** Sends deliveries the consumer has just enqueued held (see accepts()). */
  submit(tenant: string, endpoint: WebhookEndpointDocument, docs: WebhookDeliveryDocument[]): void {
    if (docs.length === 0) return;
    this.#track(
      (async () => {
        let target: DeliveryTarget;
        try {
          target = await this.#options.endpoints.target(tenant, endpoint);
        } catch (error) {
          this.#options.logger.warn(
            { err: error, tenant, endpointId: endpoint._id },
            'webhook endpoint unusable',
          );
          const now = new Date();
          await Promise.all(docs.map((doc) => this.#settle(tenant, { kind: 'release', doc, at: now })));
          return;
        }
        await Promise.all(docs.map((doc) => this.#hold(tenant, target, doc)));
      })(),
    );
  }

  /**
   * What the breaker's closing means (the sender tells it): the receiver answers again, so the
   * endpoint's waiting deliveries are made due now and a pass sends them, instead of each
   * waiting its own next attempt (up to WEBHOOK_RETRY_MAX_MS after an outage).
   */
  breakerClosed(tenant: string, endpointId: string): void {
    this.#track(
      this.#options.deliveries
        .pullForward(tenant, endpointId)
        .then((moved) => {
          if (moved > 0) this.nudge();
        })
        .catch((error: unknown) =>
          this.#options.logger.warn({ err: error, tenant, endpointId }, 'webhook backlog not pulled forward'),
        ),
    );
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) =>
      this.#options.logger.warn(
        { err: error },
        'webhook delivery work failed; it is due again after its lease',
      ),
    );
    this.#outstanding.add(tracked);
    void tracked.finally(() => this.#outstanding.delete(tracked));
  }

  async #drain(): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_PASSES_IN_A_ROW; i++) {
      this.#again = false;
      const sent = await this.pass();
      total += sent;
      if (sent === 0 && !this.#again) break;
    }
    return total;
  }

  /**
   * One pass over every tenant's endpoints; how many attempts it made. The passes serve retries,
   * replays, deliveries enqueued while a breaker was not closed, and those a dead holder left:
   * new deliveries are sent from memory (submit()). An endpoint whose breaker is open is passed
   * over (nothing read, nothing claimed); the closed ones' due deliveries are one read per
   * tenant; once an open time is over, a single delivery probes its endpoint: of its due
   * deliveries, the one tried least in this round (the oldest among equals). Each delivery is
   * thus tried only when its own retry schedule says so (or its endpoint's breaker just closed),
   * and the probes go round the backlog instead of spending one delivery's attempts until it
   * fails. What is read is claimed in bulk (WebhookDeliveries.claim) and joins the same sending
   * queue as the new deliveries.
   */
  async pass(): Promise<number> {
    const { endpoints, deliveries, sender } = this.#options;
    const work: Promise<Outcome>[] = [];
    for (const tenant of await this.#options.tenants()) {
      const all = await endpoints.documents(tenant);
      if (all.length === 0) continue;
      const closed: string[] = [];
      let due: WebhookDeliveryDocument[] = [];
      for (const endpoint of all) {
        const allowance = sender.allowance(tenant, endpoint._id);
        if (allowance === 'closed') closed.push(endpoint._id);
        else if (allowance === 'probe')
          due.push(...leastTried(await deliveries.due(tenant, { only: [endpoint._id] }, PER_ENDPOINT_BATCH)));
      }
      if (closed.length > 0) due = [...(await deliveries.due(tenant, { only: closed }, PASS_BATCH)), ...due];
      if (due.length > 0) {
        const won = await deliveries.claim(tenant, due, this.leaseMs);
        const byId = new Map(all.map((e) => [e._id, e]));
        const targets = new Map<string, DeliveryTarget>();
        for (const doc of won) {
          const endpoint = byId.get(doc.endpointId);
          if (!endpoint) continue;
          let target = targets.get(endpoint._id);
          if (!target) {
            target = await endpoints.target(tenant, endpoint);
            targets.set(endpoint._id, target);
          }
          work.push(this.#hold(tenant, target, doc));
        }
      }
      await this.#pruneClaims(tenant);
    }
    const outcomes = await Promise.all(work);
    return outcomes.filter((o) => o === 'attempted').length;
  }

  async #pruneClaims(tenant: string): Promise<void> {
    const now = Date.now();
    if (now - (this.#prunedAt.get(tenant) ?? 0) < CLAIM_PRUNE_EVERY_MS) return;
    this.#prunedAt.set(tenant, now);
    await this.#options.deliveries.pruneClaims(tenant);
  }

  /** Queues a held delivery for a sending slot; resolves once its outcome is written. */
  #hold(tenant: string, target: DeliveryTarget, doc: WebhookDeliveryDocument): Promise<Outcome> {
    const { promise, resolve } = Promise.withResolvers<Outcome>();
    this.#queue.push({ tenant, target, doc, done: resolve });
    this.#pump();
    return promise;
  }

  #pump(): void {
    while (this.#sending < this.#options.concurrency && this.#queue.length > 0) {
      const held = this.#queue.shift() as Held;
      this.#sending++;
      void this.#deliver(held)
        .then(
          ({ written }) =>
            written.then(held.done, (error: unknown) => {
              this.#options.logger.warn(
                { err: error, tenant: held.tenant, deliveryId: held.doc._id },
                'webhook delivery outcome not written; it is due again after its lease',
              );
              held.done('released');
            }),
          (error: unknown) => {
            this.#options.logger.warn(
              { err: error, tenant: held.tenant, deliveryId: held.doc._id },
              'webhook delivery failed',
            );
            held.done('released');
          },
        )
        .finally(() => {
          this.#sending--;
          this.#pump();
        });
    }
  }

  /** Gives a held delivery back untried, due at `at`. */
  async #release(held: Held, at: Date, circuitOpen: boolean): Promise<Outcome> {
    if (circuitOpen) this.#options.metrics.attempts.inc({ tenant: held.tenant, outcome: 'circuit-open' });
    await this.#settle(held.tenant, { kind: 'release', doc: held.doc, at });
    return 'released';
  }

  /**
   * Attempts a held delivery; answers (once the slot may be given to the next) the promise of its
   * outcome written.
   */
  async #deliver(held: Held): Promise<{ written: Promise<Outcome> }> {
    const o = this.#options;
    const { tenant, target, doc } = held;
    // Too late to start within the lease (it waited in memory): given back, due now.
    if (Date.now() + o.timeoutMs + 5_000 > doc.nextAttemptAt.getTime())
      return { written: this.#release(held, new Date(), false) };
    // The breaker opened since it was taken: given back untried, still due (the passes skip the
    // endpoint until its open time is over, then probe it).
    if (o.sender.allowance(tenant, target.id) === 'open')
      return { written: this.#release(held, new Date(), true) };
    const body = await this.#bodyOf(tenant, doc);
    const at = new Date();
    if (body === undefined) {
      o.metrics.attempts.inc({ tenant, outcome: 'failed' });
      return {
        written: this.#record(
          tenant,
          doc,
          {
            at,
            error: "the message's body no longer opens (its tenant key was destroyed)",
            durationMs: 0,
          },
          { status: 'failed' },
        ),
      };
    }
    const result = await o.sender.send(tenant, target, doc.eventId, body);
    if (result.kind === 'circuit-open') return { written: this.#release(held, new Date(), true) };
    if (result.kind === 'delivered') {
      o.metrics.attempts.inc({ tenant, outcome: 'delivered' });
      o.metrics.latency.observe({ tenant }, Math.max(0, (Date.now() - doc.eventTime.getTime()) / 1000));
      return {
        written: this.#record(
          tenant,
          doc,
          { at, statusCode: result.statusCode, durationMs: result.durationMs },
          { status: 'delivered' },
        ),
      };
    }
    const attempt = {
      at,
      ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
      error: result.error,
      durationMs: result.durationMs,
    };
    const lastAttempt = result.permanent || doc.roundAttempts + 1 >= o.maxAttempts;
    o.metrics.attempts.inc({ tenant, outcome: lastAttempt ? 'failed' : 'retry' });
    if (lastAttempt)
      o.logger.warn(
        { tenant, endpointId: target.id, deliveryId: doc._id, error: result.error },
        'webhook delivery failed for good',
      );
    return {
      written: this.#record(
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
      ),
    };
  }

  #record(
    tenant: string,
    doc: WebhookDeliveryDocument,
    attempt: StoredAttempt,
    outcome: AttemptOutcome,
  ): Promise<Outcome> {
    return this.#settle(tenant, { kind: 'record', doc, attempt, outcome }).then(() => 'attempted' as const);
  }

  /**
   * The outcomes are written off the sending slots: those that came while a write ran go
   * together in the next (single updates GROUP_SIZE at once, see WebhookDeliveries.settle; never
   * a multi-statement update on FerretDB). Resolves once this one is written.
   */
  #settle(tenant: string, settlement: Settlement): Promise<void> {
    const settled = Promise.withResolvers<void>();
    const list = this.#unsettled.get(tenant) ?? [];
    list.push({ settlement, settled });
    this.#unsettled.set(tenant, list);
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
    return settled.promise;
  }

  async #flush(): Promise<void> {
    while (this.#unsettled.size > 0) {
      const batches = [...this.#unsettled];
      this.#unsettled = new Map();
      await Promise.all(
        batches.map(async ([tenant, items]) => {
          try {
            await this.#options.deliveries.settle(
              tenant,
              items.map((i) => i.settlement),
            );
            for (const i of items) i.settled.resolve();
          } catch (error) {
            for (const i of items) i.settled.reject(error);
          }
        }),
      );
    }
  }

  /** The JSON body of the delivery; undefined when its sealed text no longer opens. */
  async #bodyOf(tenant: string, doc: WebhookDeliveryDocument): Promise<string | undefined> {
    const timestamp = doc.eventTime.toISOString();
    if (doc.member) {
      if (
        doc.eventType !== 'member.joined' &&
        doc.eventType !== 'member.removed' &&
        doc.eventType !== 'member.role-changed'
      )
        return undefined;
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
