/**
 * HTTP bodies of the messaging service (port 3004): conversations, members, messages, reactions,
 * threads, read pointers and unread counts. One source for the service's validation and OpenAPI,
 * for packages/messaging-client and for the gateway's public routes built on it.
 *
 * Every route is internal: the caller (the gateway, later the socket service) presents its service
 * credential in `x-service-token`, names the tenant in the path (`/v1/tenants/:tenant/...`, taken
 * from the user's verified token by the gateway, never from a body) and the verified user in the
 * acting-user headers below. Messaging trusts those headers only together with a valid service
 * credential, and checks membership and conversation roles itself (the data owner decides).
 */
import { TenantIdSchema } from '@parley/tenancy';
import { type Static, Type } from 'typebox';

// ---- the caller ------------------------------------------------------------------------------

/** The verified user the call is made for (the access token's `sub`). */
export const ACTING_USER_HEADER = 'x-parley-user';
/** That user's tenant roles (the token's `roles`), comma-separated: `member,admin`. */
export const ACTING_ROLES_HEADER = 'x-parley-roles';

export const MessagingUserIdSchema = Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$' });
export const ConversationIdSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
export const MessageIdSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
/** A client's own id for a send: the same id from the same sender in one conversation is one message. */
export const ClientMessageIdSchema = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$' });
/** An emoji as the client names it: a short code (`thumbsup`) or the characters themselves. */
export const EmojiSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\s/]+$' });

/** Limits every client can rely on (the service refuses more with 400 validation). */
export const MESSAGE_TEXT_MAX_LENGTH = 10_000;
export const CONVERSATION_NAME_MAX_LENGTH = 100;
export const CONVERSATION_TOPIC_MAX_LENGTH = 1_000;
export const GROUP_MAX_INITIAL_MEMBERS = 200;
export const PAGE_MAX_LIMIT = 200;

export const ActingUserHeadersSchema = Type.Object({
  [ACTING_USER_HEADER]: MessagingUserIdSchema,
  [ACTING_ROLES_HEADER]: Type.Optional(Type.String({ maxLength: 200, pattern: '^[a-z-]*(,[a-z-]+)*$' })),
});

export const TenantParamsSchema = Type.Object({ tenant: TenantIdSchema });
export const ConversationParamsSchema = Type.Object({
  tenant: TenantIdSchema,
  conversationId: ConversationIdSchema,
});
export const MemberParamsSchema = Type.Object({
  tenant: TenantIdSchema,
  conversationId: ConversationIdSchema,
  userId: MessagingUserIdSchema,
});
export const MessageParamsSchema = Type.Object({
  tenant: TenantIdSchema,
  conversationId: ConversationIdSchema,
  messageId: MessageIdSchema,
});
export const ReactionParamsSchema = Type.Object({
  tenant: TenantIdSchema,
  conversationId: ConversationIdSchema,
  messageId: MessageIdSchema,
  emoji: EmojiSchema,
});

// ---- conversations -----------------------------------------------------------------------------

export const ConversationKindSchema = Type.Union([
  Type.Literal('direct'),
  Type.Literal('group'),
  Type.Literal('channel'),
]);
export type ConversationKind = Static<typeof ConversationKindSchema>;
/** Channels only: `public` (anyone in the tenant may find and join it) or `private` (invited only). */
export const ChannelVisibilitySchema = Type.Union([Type.Literal('public'), Type.Literal('private')]);
export const MemberRoleSchema = Type.Union([
  Type.Literal('owner'),
  Type.Literal('admin'),
  Type.Literal('member'),
]);
export type MemberRole = Static<typeof MemberRoleSchema>;

const Name = Type.String({ minLength: 1, maxLength: CONVERSATION_NAME_MAX_LENGTH });
const Topic = Type.String({ maxLength: CONVERSATION_TOPIC_MAX_LENGTH });

export const ConversationSchema = Type.Object({
  id: ConversationIdSchema,
  kind: ConversationKindSchema,
  /** Channels only. */
  visibility: Type.Optional(ChannelVisibilitySchema),
  /** Groups and channels (a direct conversation has none). */
  name: Type.Optional(Type.String()),
  topic: Type.Optional(Type.String()),
  archived: Type.Boolean(),
  createdBy: MessagingUserIdSchema,
  createdAt: Type.String({ format: 'date-time' }),
  /** Direct only: the two people, sorted. */
  participants: Type.Optional(Type.Array(MessagingUserIdSchema)),
  /** The conversation's latest sequence number (0: nothing yet). */
  lastSeq: Type.Integer({ minimum: 0 }),
  lastMessageAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** The caller's membership, when it is a member. */
  membership: Type.Optional(
    Type.Object({
      role: MemberRoleSchema,
      joinedAt: Type.String({ format: 'date-time' }),
      readSeq: Type.Integer({ minimum: 0 }),
    }),
  ),
});
export type Conversation = Static<typeof ConversationSchema>;

/** POST /conversations/direct: the one direct conversation of the caller and `userId` (created once). */
export const OpenDirectConversationBodySchema = Type.Object(
  { userId: MessagingUserIdSchema },
  { additionalProperties: false },
);
export type OpenDirectConversationBody = Static<typeof OpenDirectConversationBodySchema>;

/** POST /conversations: a group or a channel; the caller becomes its owner. */
export const CreateConversationBodySchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('group'), Type.Literal('channel')]),
    name: Name,
    topic: Type.Optional(Topic),
    /** Channels only; default `public`. */
    visibility: Type.Optional(ChannelVisibilitySchema),
    /** Added as members besides the caller. */
    memberIds: Type.Optional(
      Type.Array(MessagingUserIdSchema, { maxItems: GROUP_MAX_INITIAL_MEMBERS, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);
export type CreateConversationBody = Static<typeof CreateConversationBodySchema>;

/** PATCH /conversations/:id (owner or admin of a group or channel). */
export const UpdateConversationBodySchema = Type.Object(
  {
    name: Type.Optional(Name),
    topic: Type.Optional(Topic),
    archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateConversationBody = Static<typeof UpdateConversationBodySchema>;

/** An opaque cursor the service hands out (base64url). */
export const CursorSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' });

export const ListConversationsQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX_LIMIT, default: 50 })),
    cursor: Type.Optional(CursorSchema),
    /** Include archived conversations (default false). */
    archived: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

/** One row of a user's sidebar: the conversation with its unread counts. */
export const ConversationSummarySchema = Type.Intersect([
  ConversationSchema,
  Type.Object({
    /** Messages after the caller's read pointer (not its own; thread replies too), capped at `UNREAD_COUNT_CAP`. */
    unread: Type.Integer({ minimum: 0 }),
    /** Of those, the ones mentioning the caller or @channel. */
    mentions: Type.Integer({ minimum: 0 }),
  }),
]);
export type ConversationSummary = Static<typeof ConversationSummarySchema>;
/** Unread counts stop at this (a client shows "99+"): a count is bounded work. */
export const UNREAD_COUNT_CAP = 100;

export const ConversationListSchema = Type.Object({
  conversations: Type.Array(ConversationSummarySchema),
  /** Pass as `cursor` for the next page; absent on the last. */
  nextCursor: Type.Optional(CursorSchema),
});
export type ConversationList = Static<typeof ConversationListSchema>;

/** GET /channels: the tenant's public channels (to find and join). */
export const ListChannelsQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX_LIMIT, default: 50 })),
    cursor: Type.Optional(CursorSchema),
  },
  { additionalProperties: false },
);
export const ChannelListSchema = Type.Object({
  channels: Type.Array(ConversationSchema),
  nextCursor: Type.Optional(CursorSchema),
});

// ---- members -----------------------------------------------------------------------------------

export const MemberSchema = Type.Object({
  userId: MessagingUserIdSchema,
  role: MemberRoleSchema,
  joinedAt: Type.String({ format: 'date-time' }),
});
export type Member = Static<typeof MemberSchema>;

export const MemberListSchema = Type.Object({
  members: Type.Array(MemberSchema),
  nextCursor: Type.Optional(CursorSchema),
});
/**
 * The gateway's answer for a conversation's members: messaging's, with each person's display name
 * from auth beside the id (absent for an id auth does not know, such as a bot's, or when auth
 * cannot answer; a client shows the id then).
 */
export const NamedMemberListSchema = Type.Object({
  members: Type.Array(
    Type.Object({
      ...MemberSchema.properties,
      displayName: Type.Optional(Type.String()),
    }),
  ),
  nextCursor: Type.Optional(CursorSchema),
  /**
   * True when the display names could not be read (auth did not answer): the members are listed
   * by id only, and a client says so rather than suggesting that nobody has a name.
   */
  namesUnavailable: Type.Optional(Type.Boolean()),
});

/** Auth's internal lookup of display names (the gateway's, for members lists): at most a page. */
export const PeopleNamesRequestSchema = Type.Object(
  {
    userIds: Type.Array(MessagingUserIdSchema, { minItems: 1, maxItems: PAGE_MAX_LIMIT, uniqueItems: true }),
  },
  { additionalProperties: false },
);
/** The ids auth knows in the tenant, each with its display name; unknown ids are left out. */
export const PeopleNamesSchema = Type.Object({
  people: Type.Array(Type.Object({ userId: MessagingUserIdSchema, displayName: Type.String() })),
});
export type PeopleNames = Static<typeof PeopleNamesSchema>;

export const ListMembersQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX_LIMIT, default: 100 })),
    cursor: Type.Optional(CursorSchema),
  },
  { additionalProperties: false },
);

/** POST /conversations/:id/members (owner or admin; groups and channels). */
export const AddMemberBodySchema = Type.Object(
  {
    userId: MessagingUserIdSchema,
    /** Default `member`; only the owner grants `admin`; `owner` is never granted this way. */
    role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('member')])),
  },
  { additionalProperties: false },
);
export type AddMemberBody = Static<typeof AddMemberBodySchema>;

/** PATCH /conversations/:id/members/:userId (owner only). */
export const UpdateMemberBodySchema = Type.Object(
  { role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) },
  { additionalProperties: false },
);

// ---- messages ----------------------------------------------------------------------------------

export const AttachmentRefSchema = Type.Object(
  {
    /** The media service's object id (filled by the media issue). */
    mediaId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  },
  { additionalProperties: false },
);

export const MentionsSchema = Type.Object({
  /** User ids written as `@<userId>` in the text. */
  users: Type.Array(MessagingUserIdSchema),
  /** `@channel` (or `@here`) was written: everyone in the conversation. */
  channel: Type.Boolean(),
});

export const ReactionSummarySchema = Type.Object({
  emoji: EmojiSchema,
  count: Type.Integer({ minimum: 1 }),
  /** Who reacted (at most 50 listed). */
  userIds: Type.Array(MessagingUserIdSchema),
});

export const MessageSchema = Type.Object({
  id: MessageIdSchema,
  conversationId: ConversationIdSchema,
  /** The conversation sequence number of the send. */
  seq: Type.Integer({ minimum: 1 }),
  /** The sequence number of the latest change to this message (its send, edit, delete or reaction). */
  changeSeq: Type.Integer({ minimum: 1 }),
  senderId: MessagingUserIdSchema,
  clientMessageId: ClientMessageIdSchema,
  createdAt: Type.String({ format: 'date-time' }),
  /** Absent once deleted. */
  text: Type.Optional(Type.String()),
  deleted: Type.Boolean(),
  deletedAt: Type.Optional(Type.String({ format: 'date-time' })),
  editedAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** A thread reply: the message it answers (a thread's root). */
  parentId: Type.Optional(MessageIdSchema),
  /** A thread root: how many replies, and the latest's time and id. */
  replyCount: Type.Integer({ minimum: 0 }),
  lastReplyAt: Type.Optional(Type.String({ format: 'date-time' })),
  lastReplyId: Type.Optional(MessageIdSchema),
  mentions: MentionsSchema,
  reactions: Type.Array(ReactionSummarySchema),
  attachments: Type.Array(AttachmentRefSchema),
});
export type Message = Static<typeof MessageSchema>;

/** POST /conversations/:id/messages: 201 for a new message, 200 with the first result for a retry. */
export const SendMessageBodySchema = Type.Object(
  {
    clientMessageId: ClientMessageIdSchema,
    text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX_LENGTH }),
    /** Reply in the thread of this message (a root of this conversation; replies to replies are refused). */
    parentId: Type.Optional(MessageIdSchema),
    attachments: Type.Optional(Type.Array(AttachmentRefSchema, { maxItems: 10 })),
  },
  { additionalProperties: false },
);
export type SendMessageBody = Static<typeof SendMessageBodySchema>;

/** PATCH /conversations/:id/messages/:messageId (the sender only). */
export const EditMessageBodySchema = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX_LENGTH }) },
  { additionalProperties: false },
);
export type EditMessageBody = Static<typeof EditMessageBodySchema>;

/**
 * GET /conversations/:id/messages: a page of the conversation's root messages (or of one thread
 * with `parentId`), in ascending seq order. Give at most one anchor:
 * - `before=<seq>`: the `limit` messages just before it (older; scroll up);
 * - `after=<seq>`: the `limit` messages just after it (newer);
 * - `around=<seq>`: up to `limit` messages centred on it (it included);
 * - `beforeTime` / `afterTime`: the same around an instant;
 * - none: the latest page.
 * The answer's `prevCursor` / `nextCursor` continue in either direction.
 */
export const HistoryQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX_LIMIT, default: 50 })),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    around: Type.Optional(Type.Integer({ minimum: 1 })),
    beforeTime: Type.Optional(Type.String({ format: 'date-time' })),
    afterTime: Type.Optional(Type.String({ format: 'date-time' })),
    /** A thread: the replies to this root. */
    parentId: Type.Optional(MessageIdSchema),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuerySchema>;

export const MessagePageSchema = Type.Object({
  messages: Type.Array(MessageSchema),
  /** Older messages exist: ask `before=<prevCursor>`. */
  prevCursor: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Newer messages exist: ask `after=<nextCursor>`. */
  nextCursor: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type MessagePage = Static<typeof MessagePageSchema>;

/**
 * GET /conversations/:id/changes?since=N: every change after seq N, gap-free and in seq order
 * (a reconnecting client's catch-up). Each change names its seq, what happened and the message's
 * state now (its latest state, so content deleted since is not served). `upTo` is the last seq
 * the answer covers: the client asks again with `since=upTo` (until `hasMore` is false).
 */
export const ChangesQuerySchema = Type.Object(
  {
    since: Type.Integer({ minimum: 0 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 200 })),
  },
  { additionalProperties: false },
);

export const ChangeKindSchema = Type.Union([
  Type.Literal('message.created'),
  Type.Literal('message.edited'),
  Type.Literal('message.deleted'),
  Type.Literal('reaction.added'),
  Type.Literal('reaction.removed'),
  /** A seq whose writer died before writing it: nothing happened at it. */
  Type.Literal('void'),
]);
export type ChangeKind = Static<typeof ChangeKindSchema>;

export const ChangeSchema = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  kind: ChangeKindSchema,
  at: Type.String({ format: 'date-time' }),
  messageId: Type.Optional(MessageIdSchema),
  /** The message as it is now; absent for `void`, and when retention or an erasure removed it (the seq stays listed). */
  message: Type.Optional(MessageSchema),
});
export type Change = Static<typeof ChangeSchema>;

export const ChangeListSchema = Type.Object({
  changes: Type.Array(ChangeSchema),
  upTo: Type.Integer({ minimum: 0 }),
  hasMore: Type.Boolean(),
});
export type ChangeList = Static<typeof ChangeListSchema>;

// ---- read pointers -----------------------------------------------------------------------------

/** PUT /conversations/:id/read: the caller has read up to `seq` (a pointer only moves forward). */
export const MarkReadBodySchema = Type.Object(
  { seq: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const ReadPointerSchema = Type.Object({
  conversationId: ConversationIdSchema,
  readSeq: Type.Integer({ minimum: 0 }),
  unread: Type.Integer({ minimum: 0 }),
  mentions: Type.Integer({ minimum: 0 }),
});
export type ReadPointer = Static<typeof ReadPointerSchema>;

/** GET /unread: the caller's unread counts for every conversation with something unread. */
export const UnreadListSchema = Type.Object({
  conversations: Type.Array(ReadPointerSchema),
});
export type UnreadList = Static<typeof UnreadListSchema>;

/**
 * The problems messaging answers (RFC 9457, `type` under https://parley.dev/problems/):
 * - 404 `not-found`: the conversation or message does not exist **or the caller may not see it**
 *   (not a member of a private conversation, another tenant's id): one answer, so ids leak nothing;
 * - 403 `forbidden`: visible, but the act needs a role the caller lacks (edit another's message,
 *   remove a member as a plain member, post to an archived conversation, join a private channel);
 * - 409 `conflict`: a client message id reused with other content, a reply to a reply;
 * - 400 `validation`: a body, query, path or acting-user header that does not match its schema.
 */
export const MESSAGING_PROBLEM_STATUSES = [400, 401, 403, 404, 409] as const;
