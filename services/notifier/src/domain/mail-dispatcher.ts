/**
 * One delivery request from a tenant's notifications topic, handled once: claimed in the delivery
 * log by its event id, opened, rendered in the tenant's branding, and handed to SMTP. A temporary
 * failure is retried with exponential backoff (cockatiel, jittered) up to `attempts`; a permanent
 * refusal (bounced, rejected) is not retried. Either way the last answer is recorded: sent, or a
 * dead letter. While stopping, a retry wait ends at once and the record stays `sending`, so the
 * uncommitted event is handled again after the restart.
 */
import type { EventEnvelope } from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { DeliveryLog, EventPosition } from './delivery-log.ts';
import type { MailMetrics } from './mail-metrics.ts';
import { type DeliveryOpener, type MailRequest, mailRequestOf, NotAMailRequest } from './mail-requests.ts';
import type { MailTransport, SendOutcome } from './mail-sender.ts';
import { renderMail } from './mail-templates.ts';
import type { TenantBrandings } from './tenant-branding.ts';

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export type HandleResult = 'sent' | 'dead-lettered' | 'skipped' | 'duplicate';

class TemporaryFailure extends Error {
  readonly result: SendOutcome;
  constructor(result: SendOutcome) {
    super(result.response);
    this.result = result;
  }
}

export interface MailDispatcherOptions {
  log: DeliveryLog;
  opener: DeliveryOpener;
  brandings: TenantBrandings;
  transport: MailTransport;
  metrics: MailMetrics;
  logger: Logger;
  fromAddress: string;
  webUrl: string;
  retry: RetryPolicy;
}

export class MailDispatcher {
  readonly #o: MailDispatcherOptions;
  #stopping = new AbortController();

  constructor(options: MailDispatcherOptions) {
    this.#o = options;
  }

  /** Ends retry waits at once (the worker is stopping); the mails they were for stay unfinished. */
  abort(): void {
    this.#stopping.abort();
  }

  resume(): void {
    if (this.#stopping.signal.aborted) this.#stopping = new AbortController();
  }

  async handle(
    tenant: string,
    event: EventEnvelope,
    position: EventPosition,
    heartbeat: () => Promise<void> = async () => {},
  ): Promise<HandleResult> {
    const { log, metrics, logger } = this.#o;
    if (!(await log.claim(tenant, event.id, event.type, position))) return 'duplicate';
    let request: MailRequest;
    try {
      request = await mailRequestOf(this.#o.opener, event);
    } catch (error) {
      if (!(error instanceof NotAMailRequest)) throw error;
      metrics.skipped.inc({ tenant, reason: error.reason });
      logger.warn(
        { tenant, eventId: event.id, type: event.type, ...position, reason: error.reason },
        'record not mailed',
      );
      await log.finish(tenant, event.id, { state: 'skipped', attempts: 0, outcome: error.reason });
      return 'skipped';
    }
    const branding = await this.#o.brandings.get(tenant);
    const rendered = renderMail(request, branding, { tenant, webUrl: this.#o.webUrl });
    const mail = {
      from: { name: branding.name, address: this.#o.fromAddress },
      to: request.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId: `<${event.id}@${this.#o.fromAddress.split('@')[1] ?? 'parley'}>`,
    };

    const { attempts, initialDelayMs, maxDelayMs } = this.#o.retry;
    const policy = retry(
      handleWhen((error) => error instanceof TemporaryFailure),
      {
        maxAttempts: attempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs }),
      },
    );
    let tries = 0;
    policy.onRetry(() => {
      metrics.retries.inc({ tenant, kind: request.kind });
      // A long wait must not cost the consumer its place in the group.
      void heartbeat().catch(() => {});
    });
    let result: SendOutcome;
    try {
      result = await policy.execute(async () => {
        tries++;
        const outcome = await this.#o.transport.send(mail);
        if (outcome.outcome === 'failed') throw new TemporaryFailure(outcome);
        return outcome;
      }, this.#stopping.signal);
    } catch (error) {
      if (!(error instanceof TemporaryFailure)) throw error; // stopping: left for redelivery
      result = error.result;
    }

    const fields = {
      kind: request.kind,
      requestId: request.requestId,
      attempts: tries,
      outcome: result.outcome,
      response: result.response,
    };
    metrics.mails.inc({ tenant, kind: request.kind, outcome: result.outcome });
    if (result.outcome === 'sent') {
      metrics.latency.observe(
        { kind: request.kind },
        Math.max(0, (Date.now() - Date.parse(event.time)) / 1000),
      );
      await log.finish(tenant, event.id, { ...fields, state: 'sent' });
      return 'sent';
    }
    metrics.deadLetters.inc({ tenant, kind: request.kind });
    logger.error(
      {
        tenant,
        eventId: event.id,
        kind: request.kind,
        requestId: request.requestId,
        attempts: tries,
        outcome: result.outcome,
        response: result.response,
      },
      'mail dead-lettered',
    );
    await log.finish(tenant, event.id, { ...fields, state: 'dead-lettered' });
    return 'dead-lettered';
  }
}
