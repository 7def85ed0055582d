/**
 * Drops cached keys when any process announces a key change (`crypto.key.*` on every tenant's
 * `keys` topic), so a rotation, a raised minimum or a destruction takes effect in every replica
 * at once rather than after the cache TTL. The subscription itself (a group per instance,
 * pattern over topics) is crypto-client's, shared with services that cache data keys.
 */
import { KeyEventsSubscription } from '@parley/crypto-client';
import type { Keyring } from '@parley/keyring';
import type { Logger } from '@parley/kit';
import type { Kafka } from 'kafkajs';

export function keyCacheInvalidation(options: {
  kafka: Kafka;
  keyring: Keyring;
  logger: Logger;
}): KeyEventsSubscription {
  return new KeyEventsSubscription({
    kafka: options.kafka,
    logger: options.logger,
    groupPrefix: 'crypto.key-cache',
    onEvent: (event) => {
      const keyName = (event.payload as { keyName?: unknown }).keyName;
      options.keyring.invalidate(event.tenant, typeof keyName === 'string' ? keyName : undefined);
      options.logger.debug({ tenant: event.tenant, type: event.type }, 'key cache invalidated');
    },
  });
}
