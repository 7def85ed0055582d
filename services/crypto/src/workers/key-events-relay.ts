/**
 * Publishes the keyring's key events (`crypto.key.*`, written with the key document: its outbox)
 * to each tenant's `keys` topic, where every replica's key cache and every data-key cache listens.
 */
import type { Keyring } from '@parley/keyring';
import type { Logger } from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic } from '@parley/tenancy';
import type { Producer } from 'kafkajs';

export function keyEventsRelay(options: {
  producer: Producer;
  keyring: Keyring;
  logger: Logger;
  intervalMs: number;
}): OutboxRelay {
  return new OutboxRelay({
    producer: options.producer,
    logger: options.logger,
    sources: async () => [options.keyring.outboxSource],
    topicFor: (event) => kafkaTopic(event.tenant, 'keys'),
    intervalMs: options.intervalMs,
  });
}
