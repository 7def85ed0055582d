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
import { isConversationRoom } from './rooms.ts';

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
    ? channelsForConversationRoomsOnly(
        createShardedAdapter(pub, sub, {
          channelPrefix: ADAPTER_CHANNEL_PREFIX,
          subscriptionMode: 'dynamic',
        }),
      )
    : createAdapter(pub, sub, { key: ADAPTER_CHANNEL_PREFIX });
  return {
    name: 'redis-adapter',
    factory,
    async stop() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

interface ShardedAdapterInternals {
  channel: string;
  shouldUseASeparateNamespace(room: string): boolean;
  computeChannel(message: { type: number; data?: { opts?: { rooms?: string[] } } }): string;
}

/**
 * The sharded adapter's `dynamic` mode gives every room a channel of its own (SSUBSCRIBE when a
 * replica's first socket joins it): with a user room and a session room per socket, that was two
 * subscriptions per connection (node-redis keeps a listener record with two Sets for each; Redis
 * a channel), and two SSUBSCRIBEs per connect. Only conversation rooms carry enough broadcasts
 * (typing, presence, receipts) to be worth spreading over shards; a user's own devices and the
 * rest go on the namespace's main channel, which every replica reads anyway. Both sides of the
 * choice are the adapter's (which rooms a replica subscribes, which channel a broadcast is
 * published on), so both are set here, per namespace adapter, and they agree by construction.
 */
// biome-ignore lint/suspicious/noExplicitAny: socket.io's adapter constructor type
function channelsForConversationRoomsOnly(factory: (nsp: any) => unknown): (nsp: any) => unknown {
  // socket.io calls it with `new` (a function returning an object yields that object): no arrow.
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's namespace type
  return function shardedAdapter(nsp: any) {
    const adapter = factory(nsp) as ShardedAdapterInternals;
    const dynamicChannelOf = adapter.computeChannel.bind(adapter);
    adapter.shouldUseASeparateNamespace = (room) => isConversationRoom(room);
    adapter.computeChannel = (message) => {
      const room = message.data?.opts?.rooms?.[0];
      return room !== undefined && isConversationRoom(room) ? dynamicChannelOf(message) : adapter.channel;
    };
    return adapter;
  };
}
