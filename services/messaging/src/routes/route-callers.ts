/**
 * Which Parley service may call which messaging route (kit's per-route caller scopes: a valid
 * credential of any other service is refused 403, and the OpenAPI document lists the callers as
 * the roles of each operation's `serviceToken` requirement). Closed by default: a route missing
 * here cannot be declared.
 *
 * - The **gateway** carries what people ask for; the **socket** service reads changes for the
 *   sockets it holds and answers recovery (`sync`) from history, both as the user.
 * - **media** asks one thing, as the uploading or downloading user: may this user see this
 *   conversation (`GET /conversations/:conversationId`). It reads no message and changes nothing.
 * - **search** asks, as the searching user, which conversations this user is a member of now
 *   (`GET /memberships`, ids only; `GET /conversations` before it had that), to filter a query to
 *   them; and, for a reindex, the tenant's message log (`GET /message-log`: the bodies sealed as
 *   they rest, which it opens with the tenant key as it opens the messages topic's). It changes
 *   nothing.
 * - **integrations** acts for bots (a bot is a user id of its own, with the member role only, so
 *   membership decides what it reaches) and for the tenant admin who manages them: it looks up
 *   the conversation a webhook posts into, adds or removes the bot as a member, posts and reads
 *   messages as the bot and lists the bot's conversations. Nothing else (no edits, deletes,
 *   reactions, changes or read pointers).
 */
import type { RouteCallers } from '@parley/kit';

const ACTING_FOR_USERS = ['gateway', 'socket'] as const;
const T = '/v1/tenants/:tenant';
const C = `${T}/conversations/:conversationId`;
const users: RouteCallers = { callers: [...ACTING_FOR_USERS] };
const usersAndBots: RouteCallers = { callers: [...ACTING_FOR_USERS, 'integrations'] };

export const MESSAGING_ROUTE_CALLERS: Readonly<Record<string, RouteCallers>> = {
  [`POST ${T}/conversations/direct`]: users,
  [`POST ${T}/conversations`]: users,
  [`GET ${T}/conversations`]: { callers: [...ACTING_FOR_USERS, 'integrations', 'search'] },
  [`GET ${T}/channels`]: users,
  [`GET ${C}`]: { callers: [...ACTING_FOR_USERS, 'media', 'integrations'] },
  [`PATCH ${C}`]: users,
  [`GET ${C}/members`]: users,
  [`POST ${C}/members`]: usersAndBots,
  [`PATCH ${C}/members/:userId`]: users,
  [`DELETE ${C}/members/:userId`]: usersAndBots,
  [`POST ${C}/join`]: users,
  [`POST ${C}/messages`]: usersAndBots,
  [`GET ${C}/messages`]: usersAndBots,
  [`GET ${C}/messages/:messageId`]: users,
  [`PATCH ${C}/messages/:messageId`]: users,
  [`DELETE ${C}/messages/:messageId`]: users,
  [`PUT ${C}/messages/:messageId/reactions/:emoji`]: users,
  [`DELETE ${C}/messages/:messageId/reactions/:emoji`]: users,
  [`GET ${C}/changes`]: users,
  [`PUT ${C}/read`]: users,
  [`GET ${T}/unread`]: users,
  [`GET ${T}/memberships`]: { callers: ['search'] },
  [`GET ${T}/message-log`]: { callers: ['search'] },
};

/** Every service that may call messaging at all (the credential check before the route's own). */
export const MESSAGING_CALLERS = [
  ...new Set(Object.values(MESSAGING_ROUTE_CALLERS).flatMap((entry) => entry.callers)),
] as const;
