/** The notifier's metrics, on its /metrics beside kit's HTTP ones. */
import { metricPrefix } from '@parley/kit';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface MailMetrics {
  /** outcome: sent | bounced (recipient refused) | rejected (message refused) | failed (retries exhausted). */
  mails: Counter<'tenant' | 'kind' | 'outcome'>;
  retries: Counter<'tenant' | 'kind'>;
  deadLetters: Counter<'tenant' | 'kind'>;
  skipped: Counter<'tenant' | 'reason'>;
  latency: Histogram<'kind'>;
}

export function mailMetrics(registry: Registry): MailMetrics {
  const prefix = metricPrefix('notifier');
  return {
    mails: new Counter({
      name: `${prefix}mails_total`,
      help: 'Mails by what the SMTP server made of them: sent, bounced (a recipient refused for good), rejected (the message refused for good), failed (every attempt failed for now)',
      labelNames: ['tenant', 'kind', 'outcome'],
      registers: [registry],
    }),
    retries: new Counter({
      name: `${prefix}mail_retries_total`,
      help: 'Attempts to send a mail again after a temporary failure (4xx, connection, timeout)',
      labelNames: ['tenant', 'kind'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: `${prefix}mail_dead_letters_total`,
      help: 'Mails given up on and recorded as dead letters (bounced, rejected or failed)',
      labelNames: ['tenant', 'kind'],
      registers: [registry],
    }),
    skipped: new Counter({
      name: `${prefix}records_skipped_total`,
      help: 'Records of a notifications topic not sent, by reason (unknown type, invalid event, unreadable delivery)',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: `${prefix}mail_delivery_seconds`,
      help: 'From the delivery request event to the SMTP server accepting the mail',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120],
      registers: [registry],
    }),
  };
}
