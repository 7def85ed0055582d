/**
 * The socket.io Redis adapter across replicas. On Redis 7+ its sharded mode (SPUBLISH and
 * SSUBSCRIBE, so a Redis Cluster spreads the channels over its shards); the sharded adapter needs
 * the `redis` package (node-redis): ioredis' sharded subscriptions do not work with it
 * (redis/ioredis#1759), so this one place uses node-redis while the rest of Parley uses ioredis.
 * The adapter carries what replicas must tell each other (socketsJoin/Leave and emits from any
 * replica, fetchSockets); message delivery does not ride it (workers/delivery.ts).
 */

import type { Stoppable } from '@parley/kit';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

/** Platform infrastructure, not a tenant's: rooms inside are tenant-prefixed (rooms.ts). */
export const ADAPTER_CHANNEL_PREFIX = 'parley:socket';

export interface RedisAdapter extends Stoppable {
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's adapter constructor type
  factory: any;
}

export async function connectRedisAdapter(url: string, sharded: boolean): Promise<RedisAdapter> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  // node-redis reconnects by itself; without listeners an error event would be thrown.
  pub.on('error', () => {});
  sub.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const factory = sharded
    ? createShardedAdapter(pub, sub, { channelPrefix: ADAPTER_CHANNEL_PREFIX, subscriptionMode: 'dynamic' })
    : createAdapter(pub, sub, { key: ADAPTER_CHANNEL_PREFIX });
  return {
    name: 'redis-adapter',
    factory,
    async stop() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
