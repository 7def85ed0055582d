/**
 * The typed client of the messaging service: every route of services/messaging/README.md, on
 * behalf of a verified user. The gateway builds one per process and calls `as(user)` per request:
 *
 *   const messaging = new MessagingClient({ baseUrl, serviceToken });
 *   const page = await messaging.as({ tenant, userId, roles }).history(conversationId, { before: 120 });
 *
 * The tenant and user come from the gateway's verified token, never from a client's body.
 */
import type {
  AddMemberBody,
  ChangeList,
  Conversation,
  ConversationList,
  CreateConversationBody,
  EditMessageBody,
  HistoryQuery,
  Member,
  MemberRole,
  MembershipList,
  Message,
  MessageLogPage,
  MessageLogQuery,
  MessagePage,
  ReadPointer,
  SendMessageBody,
  UnreadList,
  UpdateConversationBody,
} from '@parley/contracts';
import {
  type ActingUser,
  MessagingHttp,
  type MessagingHttpOptions,
  type MessagingRequest,
} from './messaging-http.ts';

const enc = encodeURIComponent;

export interface Paged {
  limit?: number;
  cursor?: string;
}

export class MessagingClient {
  readonly http: MessagingHttp;

  constructor(options: MessagingHttpOptions | MessagingHttp) {
    this.http = options instanceof MessagingHttp ? options : new MessagingHttp(options);
  }

  as(user: ActingUser): MessagingCalls {
    return new MessagingCalls(this.http, user);
  }

  /** One page of the tenant's message log (bodies sealed as they rest): the search service's reindex. */
  async messageLog(tenant: string, query: MessageLogQuery = {}): Promise<MessageLogPage> {
    const response = await this.http.request<MessageLogPage>({
      method: 'GET',
      path: '/message-log',
      as: { tenant },
      query: { ...query },
      idempotent: true,
    });
    return response.body;
  }
}

export class MessagingCalls {
  readonly #http: MessagingHttp;
  readonly #user: ActingUser;

  constructor(http: MessagingHttp, user: ActingUser) {
    this.#http = http;
    this.#user = user;
  }

  async #call<T>(request: Omit<MessagingRequest, 'as'>): Promise<T> {
    return (await this.#http.request<T>({ ...request, as: this.#user })).body;
  }

  // ---- conversations ----

  /** The one direct conversation with `userId` (created at the first call; `created` says which). */
  async openDirect(userId: string): Promise<{ conversation: Conversation; created: boolean }> {
    const response = await this.#http.request<Conversation>({
      method: 'POST',
      path: '/conversations/direct',
      body: { userId },
      as: this.#user,
      idempotent: true,
    });
    return { conversation: response.body, created: response.status === 201 };
  }

  createConversation(body: CreateConversationBody): Promise<Conversation> {
    return this.#call({ method: 'POST', path: '/conversations', body, idempotent: false });
  }

  listConversations(query: Paged & { archived?: boolean } = {}): Promise<ConversationList> {
    return this.#call({ method: 'GET', path: '/conversations', query: { ...query }, idempotent: true });
  }

  /** The ids of the conversations the user is an active member of now (archived included). */
  memberships(): Promise<MembershipList> {
    return this.#call({ method: 'GET', path: '/memberships', idempotent: true });
  }

  listChannels(query: Paged = {}): Promise<{ channels: Conversation[]; nextCursor?: string }> {
    return this.#call({ method: 'GET', path: '/channels', query: { ...query }, idempotent: true });
  }

  getConversation(conversationId: string): Promise<Conversation> {
    return this.#call({ method: 'GET', path: `/conversations/${enc(conversationId)}`, idempotent: true });
  }

  updateConversation(conversationId: string, body: UpdateConversationBody): Promise<Conversation> {
    return this.#call({
      method: 'PATCH',
      path: `/conversations/${enc(conversationId)}`,
      body,
      idempotent: true,
    });
  }

  // ---- members ----

  listMembers(
    conversationId: string,
    query: Paged = {},
  ): Promise<{ members: Member[]; nextCursor?: string }> {
    return this.#call({
      method: 'GET',
      path: `/conversations/${enc(conversationId)}/members`,
      query: { ...query },
      idempotent: true,
    });
  }

  addMember(conversationId: string, body: AddMemberBody): Promise<Member> {
    return this.#call({
      method: 'POST',
      path: `/conversations/${enc(conversationId)}/members`,
      body,
      idempotent: true,
    });
  }

  setMemberRole(conversationId: string, userId: string, role: Exclude<MemberRole, 'owner'>): Promise<Member> {
    return this.#call({
      method: 'PATCH',
      path: `/conversations/${enc(conversationId)}/members/${enc(userId)}`,
      body: { role },
      idempotent: true,
    });
  }

  /** Removes `userId`; the caller's own id is leaving. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.#call({
      method: 'DELETE',
      path: `/conversations/${enc(conversationId)}/members/${enc(userId)}`,
      idempotent: true,
    });
  }

  /** Joins a public channel. */
  join(conversationId: string): Promise<Member> {
    return this.#call({
      method: 'POST',
      path: `/conversations/${enc(conversationId)}/join`,
      idempotent: true,
    });
  }

  // ---- messages ----

  /** 201 for a new message; a retry with the same clientMessageId answers the first (`created: false`). */
  async send(conversationId: string, body: SendMessageBody): Promise<{ message: Message; created: boolean }> {
    const response = await this.#http.request<Message>({
      method: 'POST',
      path: `/conversations/${enc(conversationId)}/messages`,
      body,
      as: this.#user,
      idempotent: true,
    });
    return { message: response.body, created: response.status === 201 };
  }

  history(conversationId: string, query: HistoryQuery = {}): Promise<MessagePage> {
    return this.#call({
      method: 'GET',
      path: `/conversations/${enc(conversationId)}/messages`,
      query: { ...query },
      idempotent: true,
    });
  }

  getMessage(conversationId: string, messageId: string): Promise<Message> {
    return this.#call({
      method: 'GET',
      path: `/conversations/${enc(conversationId)}/messages/${enc(messageId)}`,
      idempotent: true,
    });
  }

  edit(conversationId: string, messageId: string, body: EditMessageBody): Promise<Message> {
    return this.#call({
      method: 'PATCH',
      path: `/conversations/${enc(conversationId)}/messages/${enc(messageId)}`,
      body,
      idempotent: false,
    });
  }

  /** Deletes the content; the tombstone (with its seq) stays. */
  delete(conversationId: string, messageId: string): Promise<Message> {
    return this.#call({
      method: 'DELETE',
      path: `/conversations/${enc(conversationId)}/messages/${enc(messageId)}`,
      idempotent: true,
    });
  }

  react(conversationId: string, messageId: string, emoji: string): Promise<Message> {
    return this.#call({
      method: 'PUT',
      path: `/conversations/${enc(conversationId)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`,
      idempotent: true,
    });
  }

  unreact(conversationId: string, messageId: string, emoji: string): Promise<Message> {
    return this.#call({
      method: 'DELETE',
      path: `/conversations/${enc(conversationId)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`,
      idempotent: true,
    });
  }

  changes(conversationId: string, since: number, limit?: number): Promise<ChangeList> {
    return this.#call({
      method: 'GET',
      path: `/conversations/${enc(conversationId)}/changes`,
      query: { since, limit },
      idempotent: true,
    });
  }

  // ---- read pointers ----

  markRead(conversationId: string, seq: number): Promise<ReadPointer> {
    return this.#call({
      method: 'PUT',
      path: `/conversations/${enc(conversationId)}/read`,
      body: { seq },
      idempotent: true,
    });
  }

  unread(): Promise<UnreadList> {
    return this.#call({ method: 'GET', path: '/unread', idempotent: true });
  }
}
