/**
 * The messaging service's collections in each tenant's database (`parley_<tenant>`), their
 * document shapes and indexes. Handles come only through a tenant (TenantCollections.of), so no
 * query can reach another tenant's data.
 *
 * `messages` is also packages/retention's purge target (createdAt, conversationId, senderId).
 */
import type { MemberRole } from '@parley/contracts';
import type { DocumentLockDocument } from '@parley/kit';
import type { OutboxFields } from '@parley/outbox';
import { LegalHoldStore } from '@parley/retention';
import { mongoDatabaseName } from '@parley/tenancy';
import type {
  Collection,
  CreateIndexesOptions,
  Document,
  IndexSpecification,
  MongoClient,
  MongoServerError,
} from 'mongodb';

export interface ConversationDocument extends OutboxFields {
  _id: string;
  kind: 'direct' | 'group' | 'channel';
  visibility?: 'public' | 'private';
  /** The name `{f: 'name', v}` sealed under the tenant key (domain/conversation-text.ts). */
  sealedName?: string;
  /** The topic, sealed likewise. */
  sealedTopic?: string;
  /** Plaintext name and topic: only in documents written before they were sealed (read, never written). */
  name?: string;
  topic?: string;
  archived: boolean;
  createdBy: string;
  createdAt: Date;
  /** Direct only: the sorted pair. */
  participants?: string[];
  /**
   * Only in documents written before the counter moved to `conversation_seqs` (domain/seq-counters.ts):
   * the counter as it stood then (read as the starting point, never written). In memory, readers
   * put the counter's values here (withPosition).
   */
  seq?: number;
  seqAt?: Date;
  lastMessageAt?: Date;
  /** The settings' revision (name, topic, archive): 0 or absent at creation, one more per update. */
  rev?: number;
}

/**
 * A conversation's seq counter, apart from the conversation (domain/seq-counters.ts): only seq
 * proposals write it, so on FerretDB they cannot undo a rename.
 */
export interface SeqCounterDocument {
  /** The conversation's id. */
  _id: string;
  /** The last seq proposed (a proposal is only a claim: the message_log insert decides). */
  seq: number;
  /** When it was proposed (a reader judges a hole at the end by it). */
  seqAt?: Date;
  /** When the last root message was sent (the sidebar's order), set with its seq's proposal. */
  lastMessageAt?: Date;
}

export interface MemberDocument extends OutboxFields {
  /** `<conversationId>:<userId>` */
  _id: string;
  conversationId: string;
  userId: string;
  role: MemberRole;
  joinedAt: Date;
  /** Current membership; false after leaving or removal (the document stays, as the record). */
  active: boolean;
  /** Set when removed by someone else: a public channel cannot be re-joined alone then. */
  removedBy?: string;
  leftAt?: Date;
  /** The conversation's seq at leaving: nothing after it is served to this user. */
  leftSeq?: number;
  readSeq: number;
}

/**
 * The ids of the conversations a user is an active member of, one document per user of the
 * tenant (domain/user-conversations.ts): what `GET /memberships` (search's permission filter)
 * reads by `_id` instead of querying `members`. Derived from `members`, written only under the
 * user's lock; absent or marked `pendingAt` it is rebuilt from `members` by the next reader.
 */
export interface UserConversationsDocument {
  /** The user's id (the database is the tenant's). */
  _id: string;
  conversationIds: string[];
  /** Set while a membership change of this user is being written (a crash leaves it: rebuilt). */
  pendingAt?: Date;
  /** When it was last rebuilt from `members`. */
  builtAt?: Date;
}

export type LogKind =
  | 'message.created'
  | 'message.edited'
  | 'message.deleted'
  | 'reaction.added'
  | 'reaction.removed'
  | 'void';

/** What a change does, kept on its log entry until applied (so a crash can be finished). */
export interface LogIntent {
  body?: string;
  parentId?: string;
  clientMessageId?: string;
  mentions?: { users: string[]; channel: boolean };
  attachments?: { mediaId: string }[];
  emoji?: string;
  senderId?: string;
  createdAt?: Date;
}

/** One seq of one conversation: the arbiter of gap-free numbering (see domain/seq-ledger.ts). */
export interface LogDocument extends OutboxFields {
  /** `<conversationId>:<seq>`: the unique key that gives each seq to exactly one writer. */
  _id: string;
  conversationId: string;
  seq: number;
  kind: LogKind;
  messageId?: string;
  actorId?: string;
  at: Date;
  /** False until its change is in `messages` and its event in the outbox. */
  applied: boolean;
  intent?: LogIntent;
}

export interface MessageDocument {
  /** Derived from (conversation, sender, clientMessageId): a retried send finds its first result. */
  _id: string;
  conversationId: string;
  seq: number;
  changeSeq: number;
  senderId: string;
  clientMessageId: string;
  createdAt: Date;
  /** The body `{text}` sealed under the tenant key (keyring envelope, base64, AAD the message id). */
  body?: string;
  deleted: boolean;
  deletedAt?: Date;
  editedAt?: Date;
  /** The seq of the latest edit applied (edits apply in seq order, whatever order they land in). */
  editSeq?: number;
  parentId?: string;
  /** Set once a reply or a reaction exists, so a page looks them up only where there are some. */
  hasReplies?: boolean;
  hasReactions?: boolean;
  mentions: { users: string[]; channel: boolean };
  attachments: { mediaId: string }[];
}

/** A body an edit replaced: kept for compliance (never served to members), sealed like the body. */
export interface MessageEditDocument {
  /** `<messageId>:<seq of the edit>` */
  _id: string;
  messageId: string;
  conversationId: string;
  senderId: string;
  /** When the replaced text had been written. */
  writtenAt: Date;
  replacedAt: Date;
  body: string;
}

export interface ReactionDocument {
  /** `<messageId>|<userId>|<emoji>`: one per user and emoji, arbitrated by the insert. */
  _id: string;
  messageId: string;
  conversationId: string;
  emoji: string;
  userId: string;
  at: Date;
}

export const COLLECTIONS = {
  conversations: 'conversations',
  /** Each conversation's seq counter (domain/seq-counters.ts). */
  seqs: 'conversation_seqs',
  members: 'members',
  log: 'message_log',
  messages: 'messages',
  edits: 'message_edits',
  reactions: 'message_reactions',
  /** Tombstone requests of retention purges (packages/retention's MessagesPurgeTarget writes them). */
  erasures: 'message_erasures',
  /** Each user's active conversation ids (domain/user-conversations.ts), read by `_id`. */
  userConversations: 'user_conversations',
  /** One writer at a time per message document (kit's withDocumentLock: FerretDB loses concurrent updates). */
  locks: 'message_locks',
} as const;

/** The collections whose documents carry outbox events. */
export const OUTBOX_COLLECTIONS = [
  COLLECTIONS.log,
  COLLECTIONS.conversations,
  COLLECTIONS.members,
  COLLECTIONS.erasures,
] as const;

export interface TenantCollections {
  tenant: string;
  conversations: Collection<ConversationDocument>;
  seqs: Collection<SeqCounterDocument>;
  members: Collection<MemberDocument>;
  userConversations: Collection<UserConversationsDocument>;
  log: Collection<LogDocument>;
  messages: Collection<MessageDocument>;
  edits: Collection<MessageEditDocument>;
  reactions: Collection<ReactionDocument>;
  locks: Collection<DocumentLockDocument>;
  /** The tenant's legal holds (the compliance service writes them; edits and deletes ask them). */
  holds: LegalHoldStore;
}

export class MessagingStore {
  readonly client: MongoClient;
  readonly #indexed = new Map<string, Promise<void>>();

  constructor(client: MongoClient) {
    this.client = client;
  }

  /** The tenant's collections, their indexes made on first use in this process. */
  async of(tenant: string): Promise<TenantCollections> {
    const collections = this.collections(tenant);
    let indexed = this.#indexed.get(tenant);
    if (!indexed) {
      indexed = ensureIndexes(collections);
      this.#indexed.set(tenant, indexed);
      indexed.catch(() => this.#indexed.delete(tenant));
    }
    await indexed;
    return collections;
  }

  collections(tenant: string): TenantCollections {
    const db = this.client.db(mongoDatabaseName(tenant));
    return {
      tenant,
      conversations: db.collection(COLLECTIONS.conversations),
      seqs: db.collection(COLLECTIONS.seqs),
      members: db.collection(COLLECTIONS.members),
      userConversations: db.collection(COLLECTIONS.userConversations),
      log: db.collection(COLLECTIONS.log),
      messages: db.collection(COLLECTIONS.messages),
      edits: db.collection(COLLECTIONS.edits),
      reactions: db.collection(COLLECTIONS.reactions),
      locks: db.collection(COLLECTIONS.locks),
      holds: new LegalHoldStore(this.client, tenant),
    };
  }
}

/**
 * The operator makes the indexes every tenant starts with (operator/src/tenant/desired-state.ts)
 * before a tenant is served, under names of its own; an index on the same keys under another name
 * answers IndexOptionsConflict (85), and would fail every first request of every provisioned
 * tenant. Same keys suffice for the queries, so that answer is success. A unique index is never
 * excused: an existing non-unique one on its keys would not enforce what messaging relies on.
 */
const INDEX_EXISTS_UNDER_ANOTHER_NAME = 85;

function indexOn<T extends Document>(
  collection: Collection<T>,
  keys: IndexSpecification,
  options: CreateIndexesOptions = {},
): Promise<unknown> {
  return collection.createIndex(keys, options).catch((error: MongoServerError) => {
    if (error.code === INDEX_EXISTS_UNDER_ANOTHER_NAME && !options.unique) return undefined;
    throw error;
  });
}

async function ensureIndexes(c: TenantCollections): Promise<void> {
  await Promise.all([
    indexOn(c.conversations, { kind: 1, visibility: 1, createdAt: -1 }),
    indexOn(c.conversations, { _outboxPending: 1 }, { sparse: true }),
    indexOn(c.members, { userId: 1, active: 1 }),
    indexOn(c.members, { conversationId: 1, active: 1, joinedAt: 1 }),
    indexOn(c.members, { _outboxPending: 1 }, { sparse: true }),
    indexOn(c.log, { conversationId: 1, seq: 1 }, { unique: true }),
    indexOn(c.log, { applied: 1, at: 1 }),
    indexOn(c.log, { _outboxPending: 1 }, { sparse: true }),
    indexOn(c.messages, { conversationId: 1, seq: 1 }, { unique: true }),
    indexOn(c.messages, { conversationId: 1, parentId: 1, seq: 1 }),
    indexOn(c.messages, { conversationId: 1, createdAt: 1 }, { name: 'conversation_timeline' }),
    indexOn(c.messages, { createdAt: 1, _id: 1 }),
    indexOn(c.messages, { senderId: 1 }),
    indexOn(c.edits, { messageId: 1 }),
    indexOn(c.edits, { senderId: 1 }),
    indexOn(c.reactions, { messageId: 1 }),
    indexOn(c.reactions, { userId: 1 }),
    indexOn(c.conversations.db.collection(COLLECTIONS.erasures), { _outboxPending: 1 }, { sparse: true }),
  ]);
}
