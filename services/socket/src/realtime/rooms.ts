/**
 * Room names, all under the tenant's prefix, so no two tenants can ever share a room. Only the
 * server names rooms: a client has no event that joins one.
 */
import { redisKeyPrefix } from '@parley/tenancy';

/** Every socket of one user (all devices). */
export const userRoom = (tenant: string, userId: string): string => `${redisKeyPrefix(tenant)}user:${userId}`;
/** Every socket of one session (a revocation ends them). */
export const sessionRoom = (tenant: string, sessionId: string): string =>
  `${redisKeyPrefix(tenant)}session:${sessionId}`;
/** Every member's sockets of one conversation. */
export const conversationRoom = (tenant: string, conversationId: string): string =>
  `${redisKeyPrefix(tenant)}conv:${conversationId}`;
/** Every socket of one tenant (a suspension ends them). */
export const tenantRoom = (tenant: string): string => `${redisKeyPrefix(tenant)}sockets`;

/** A conversation's room (whatever the tenant): the rooms whose broadcasts get a channel of their own. */
export const isConversationRoom = (room: string): boolean => /^t:[a-z0-9-]+:conv:/.test(room);
