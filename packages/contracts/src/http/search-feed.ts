/**
 * What the search service reads from messaging with its own credential (messaging's
 * routes/route-callers.ts): memberships as ids and the tenant's message log. Kept apart from
 * http/messaging.ts because the log's page is made of message change events, whose module
 * reaches node:crypto through the event envelope; http/messaging.ts is part of
 * `@parley/contracts/browser`, and a browser bundle must not import Node's built-ins
 * (tests/integration/web-bundle.test.ts).
 */
import { type Static, Type } from 'typebox';
import { MessageChangedPayloadSchema } from '../events/messaging.ts';
import { CursorSchema } from './messaging.ts';

/** GET /memberships: the ids of the conversations the acting user is an active member of now (archived included). */
export const MembershipListSchema = Type.Object({
  conversationIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 })),
});
export type MembershipList = Static<typeof MembershipListSchema>;

/** GET /message-log: the tenant's messages in id order, one page at a time (a reindex reads them all). */
export const MessageLogQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 500 })),
    cursor: Type.Optional(CursorSchema),
  },
  { additionalProperties: false },
);
export type MessageLogQuery = Static<typeof MessageLogQuerySchema>;

/**
 * One page of the message log: each message's current state in the shape of its change events
 * (the body sealed as it rests, `seq` the message's latest change seq, a deleted one without
 * content), so a reader indexes it exactly as it indexes the messages topic.
 */
export const MessageLogPageSchema = Type.Object({
  messages: Type.Array(MessageChangedPayloadSchema),
  nextCursor: Type.Optional(CursorSchema),
});
export type MessageLogPage = Static<typeof MessageLogPageSchema>;
