/**
 * Conversations, members, messages, reactions, threads, read pointers and unread counts: the
 * messaging service's routes for the signed-in user, through @parley/messaging-client. The
 * tenant, the user and the roles go to messaging from the verified token only (the path carries
 * no tenant here); messaging decides membership and conversation roles itself, so the gateway
 * checks what it knows: a tenant role that may chat (member or admin: an account that is only a
 * compliance officer reads the audit log, it does not converse). Another tenant's ids, and
 * conversations the user may not see, are messaging's 404, handed on as it answered. A members
 * list goes out with each person's display name from auth (domain/people-names.ts), so a client
 * shows people by name without a directory of its own.
 */
import {
  AddMemberBodySchema,
  ChangeListSchema,
  ChangesQuerySchema,
  ChannelListSchema,
  ConversationListSchema,
  ConversationParamsSchema,
  ConversationSchema,
  CreateConversationBodySchema,
  EditMessageBodySchema,
  HistoryQuerySchema,
  ListChannelsQuerySchema,
  ListConversationsQuerySchema,
  ListMembersQuerySchema,
  MarkReadBodySchema,
  MemberParamsSchema,
  MemberSchema,
  MessagePageSchema,
  MessageParamsSchema,
  MessageSchema,
  NamedMemberListSchema,
  OpenDirectConversationBodySchema,
  ReactionParamsSchema,
  ReadPointerSchema,
  SendMessageBodySchema,
  UnreadListSchema,
  UpdateConversationBodySchema,
  UpdateMemberBodySchema,
} from '@parley/contracts';
import { ProblemError, type ServiceApp, Type } from '@parley/kit';
import { type MessagingCalls, type MessagingClient, MessagingServiceError } from '@parley/messaging-client';
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { NameLookup } from '../domain/people-names.ts';
import { currentRequestId } from '../upstream/request-ids.ts';
import { unavailableProblem } from '../upstream/upstream-call.ts';
import { NoContent } from './auth-routes.ts';
import { API_PREFIX, guardsFor, type ProxyContext, type Role } from './proxy-route.ts';

const CHATTERS: readonly Role[] = ['member', 'admin'];

const withoutTenant = <T extends { properties: Record<string, unknown> }>(schema: T) =>
  Type.Omit(schema as never, ['tenant']);
const ConversationParams = withoutTenant(ConversationParamsSchema);
const MemberParams = withoutTenant(MemberParamsSchema);
const MessageParams = withoutTenant(MessageParamsSchema);
const ReactionParams = withoutTenant(ReactionParamsSchema);

interface Input {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: never;
}
interface HandlerContext {
  tenant: string;
  names: NameLookup;
  request: FastifyRequest;
}
type Handler = (
  calls: MessagingCalls,
  input: Input,
  reply: FastifyReply,
  context: HandlerContext,
) => Promise<unknown>;

interface MessagingRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  schema: Record<string, unknown>;
  handle: Handler;
}

/** Status and body as messaging decided, for answers that are not the client's usual 200. */
const created = (reply: FastifyReply, isNew: boolean) => reply.status(isNew ? 201 : 200);

const routes: MessagingRoute[] = [
  {
    method: 'POST',
    url: '/conversations/direct',
    operationId: 'openDirectConversation',
    tags: ['conversations'],
    summary: 'The one direct conversation with another user (201 created, 200 existing)',
    schema: {
      body: OpenDirectConversationBodySchema,
      response: { 200: ConversationSchema, 201: ConversationSchema },
    },
    handle: async (calls, { body }, reply) => {
      const { conversation, created: isNew } = await calls.openDirect((body as { userId: string }).userId);
      created(reply, isNew);
      return conversation;
    },
  },
  {
    method: 'POST',
    url: '/conversations',
    operationId: 'createConversation',
    tags: ['conversations'],
    summary: 'Creates a group or a channel; the caller is its owner',
    schema: { body: CreateConversationBodySchema, response: { 201: ConversationSchema } },
    handle: async (calls, { body }, reply) => {
      reply.status(201);
      return calls.createConversation(body);
    },
  },
  {
    method: 'GET',
    url: '/conversations',
    operationId: 'listConversations',
    tags: ['conversations'],
    summary: "The caller's sidebar, latest activity first, with unread and mention counts",
    schema: { querystring: ListConversationsQuerySchema, response: { 200: ConversationListSchema } },
    handle: (calls, { query }) => calls.listConversations(query),
  },
  {
    method: 'GET',
    url: '/channels',
    operationId: 'listChannels',
    tags: ['conversations'],
    summary: "The tenant's public channels",
    schema: { querystring: ListChannelsQuerySchema, response: { 200: ChannelListSchema } },
    handle: (calls, { query }) => calls.listChannels(query),
  },
  {
    method: 'GET',
    url: '/conversations/:conversationId',
    operationId: 'getConversation',
    tags: ['conversations'],
    summary: 'One conversation (members; anyone for a public channel)',
    schema: { params: ConversationParams, response: { 200: ConversationSchema } },
    handle: (calls, { params }) => calls.getConversation(params.conversationId as string),
  },
  {
    method: 'PATCH',
    url: '/conversations/:conversationId',
    operationId: 'updateConversation',
    tags: ['conversations'],
    summary: 'Renames, changes the topic of, or archives a conversation (owner, admin)',
    schema: {
      params: ConversationParams,
      body: UpdateConversationBodySchema,
      response: { 200: ConversationSchema },
    },
    handle: (calls, { params, body }) => calls.updateConversation(params.conversationId as string, body),
  },
  {
    method: 'GET',
    url: '/conversations/:conversationId/members',
    operationId: 'listMembers',
    tags: ['members'],
    summary: "A conversation's members",
    description:
      'Each with the display name auth knows; when auth does not answer, the members come by id only and `namesUnavailable` is true (the list itself never fails for want of names).',
    schema: {
      params: ConversationParams,
      querystring: ListMembersQuerySchema,
      response: { 200: NamedMemberListSchema },
    },
    handle: async (calls, { params, query }, _reply, { tenant, names, request }) => {
      const list = await calls.listMembers(params.conversationId as string, query);
      let known = new Map<string, string>();
      let namesUnavailable = false;
      try {
        known = await names.names(
          tenant,
          list.members.map((m) => m.userId),
        );
      } catch (error) {
        namesUnavailable = true;
        request.log.warn({ err: error }, 'display names unavailable: members answered with ids only');
      }
      return {
        ...list,
        ...(namesUnavailable ? { namesUnavailable } : {}),
        members: list.members.map((m) => {
          const displayName = known.get(m.userId);
          return displayName ? { ...m, displayName } : m;
        }),
      };
    },
  },
  {
    method: 'POST',
    url: '/conversations/:conversationId/members',
    operationId: 'addMember',
    tags: ['members'],
    summary: 'Adds a member to a group or channel (owner, admin)',
    schema: { params: ConversationParams, body: AddMemberBodySchema, response: { 200: MemberSchema } },
    handle: (calls, { params, body }) => calls.addMember(params.conversationId as string, body),
  },
  {
    method: 'PATCH',
    url: '/conversations/:conversationId/members/:userId',
    operationId: 'setMemberRole',
    tags: ['members'],
    summary: "Changes a member's role (owner)",
    schema: { params: MemberParams, body: UpdateMemberBodySchema, response: { 200: MemberSchema } },
    handle: (calls, { params, body }) =>
      calls.setMemberRole(
        params.conversationId as string,
        params.userId as string,
        (body as { role: 'admin' | 'member' }).role,
      ),
  },
  {
    method: 'DELETE',
    url: '/conversations/:conversationId/members/:userId',
    operationId: 'removeMember',
    tags: ['members'],
    summary: 'Removes a member (owner, admin), or leaves (the caller itself)',
    schema: { params: MemberParams, response: { 204: NoContent } },
    handle: async (calls, { params }, reply) => {
      await calls.removeMember(params.conversationId as string, params.userId as string);
      return reply.status(204).send();
    },
  },
  {
    method: 'POST',
    url: '/conversations/:conversationId/join',
    operationId: 'joinChannel',
    tags: ['members'],
    summary: 'Joins a public channel',
    schema: { params: ConversationParams, response: { 200: MemberSchema } },
    handle: (calls, { params }) => calls.join(params.conversationId as string),
  },
  {
    method: 'POST',
    url: '/conversations/:conversationId/messages',
    operationId: 'sendMessage',
    tags: ['messages'],
    summary:
      'Sends a message or a thread reply; a retry with the same clientMessageId answers 200 with the first',
    schema: {
      params: ConversationParams,
      body: SendMessageBodySchema,
      response: { 200: MessageSchema, 201: MessageSchema },
    },
    handle: async (calls, { params, body }, reply) => {
      const { message, created: isNew } = await calls.send(params.conversationId as string, body);
      created(reply, isNew);
      return message;
    },
  },
  {
    method: 'GET',
    url: '/conversations/:conversationId/messages',
    operationId: 'listMessages',
    tags: ['messages'],
    summary: 'A page of history around a seq or a time, or of one thread (parentId)',
    schema: {
      params: ConversationParams,
      querystring: HistoryQuerySchema,
      response: { 200: MessagePageSchema },
    },
    handle: (calls, { params, query }) => calls.history(params.conversationId as string, query),
  },
  {
    method: 'GET',
    url: '/conversations/:conversationId/messages/:messageId',
    operationId: 'getMessage',
    tags: ['messages'],
    summary: 'One message',
    schema: { params: MessageParams, response: { 200: MessageSchema } },
    handle: (calls, { params }) =>
      calls.getMessage(params.conversationId as string, params.messageId as string),
  },
  {
    method: 'PATCH',
    url: '/conversations/:conversationId/messages/:messageId',
    operationId: 'editMessage',
    tags: ['messages'],
    summary: 'Edits a message (the sender only)',
    schema: { params: MessageParams, body: EditMessageBodySchema, response: { 200: MessageSchema } },
    handle: (calls, { params, body }) =>
      calls.edit(params.conversationId as string, params.messageId as string, body),
  },
  {
    method: 'DELETE',
    url: '/conversations/:conversationId/messages/:messageId',
    operationId: 'deleteMessage',
    tags: ['messages'],
    summary: 'Deletes the content of a message (the sender, owner, admin); its tombstone keeps the seq',
    schema: { params: MessageParams, response: { 200: MessageSchema } },
    handle: (calls, { params }) => calls.delete(params.conversationId as string, params.messageId as string),
  },
  {
    method: 'PUT',
    url: '/conversations/:conversationId/messages/:messageId/reactions/:emoji',
    operationId: 'addReaction',
    tags: ['messages'],
    summary: 'Reacts to a message (one reaction per user and emoji)',
    schema: { params: ReactionParams, response: { 200: MessageSchema } },
    handle: (calls, { params }) =>
      calls.react(params.conversationId as string, params.messageId as string, params.emoji as string),
  },
  {
    method: 'DELETE',
    url: '/conversations/:conversationId/messages/:messageId/reactions/:emoji',
    operationId: 'removeReaction',
    tags: ['messages'],
    summary: 'Takes a reaction back',
    schema: { params: ReactionParams, response: { 200: MessageSchema } },
    handle: (calls, { params }) =>
      calls.unreact(params.conversationId as string, params.messageId as string, params.emoji as string),
  },
  {
    method: 'GET',
    url: '/conversations/:conversationId/changes',
    operationId: 'listChanges',
    tags: ['messages'],
    summary: 'Every change after seq N, gap-free (a reconnecting client catches up)',
    schema: {
      params: ConversationParams,
      querystring: ChangesQuerySchema,
      response: { 200: ChangeListSchema },
    },
    handle: (calls, { params, query }) =>
      calls.changes(
        params.conversationId as string,
        query.since as number,
        query.limit as number | undefined,
      ),
  },
  {
    method: 'PUT',
    url: '/conversations/:conversationId/read',
    operationId: 'markRead',
    tags: ['read-pointers'],
    summary: 'Moves the read pointer forward to seq',
    schema: { params: ConversationParams, body: MarkReadBodySchema, response: { 200: ReadPointerSchema } },
    handle: (calls, { params, body }) =>
      calls.markRead(params.conversationId as string, (body as { seq: number }).seq),
  },
  {
    method: 'GET',
    url: '/unread',
    operationId: 'listUnread',
    tags: ['read-pointers'],
    summary: 'Unread and mention counts of every conversation with something unread',
    schema: { response: { 200: UnreadListSchema } },
    handle: (calls) => calls.unread(),
  },
];

export function registerMessagingRoutes(
  app: ServiceApp,
  context: ProxyContext,
  messaging: MessagingClient,
  names: NameLookup,
): void {
  const onRequest = guardsFor(CHATTERS, context);
  for (const route of routes) {
    app.route({
      method: route.method,
      url: `${API_PREFIX}${route.url}`,
      onRequest,
      schema: {
        operationId: route.operationId,
        tags: route.tags,
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        ...route.schema,
      } as FastifySchema,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const claims = request.auth;
        if (!claims) throw new Error('messaging route without its token guard');
        currentRequestId.enterWith(request.id);
        const calls = messaging.as({ tenant: claims.tid, userId: claims.sub, roles: claims.roles });
        try {
          return await route.handle(
            calls,
            {
              params: (request.params ?? {}) as Record<string, string>,
              query: (request.query ?? {}) as Record<string, unknown>,
              body: request.body as never,
            },
            reply,
            { tenant: claims.tid, names, request },
          );
        } catch (error) {
          throw asProblem(error, request);
        }
      },
    });
  }
}

/** Messaging's own problem (a 404 stays a 404), or 503 when it cannot answer. */
function asProblem(error: unknown, request: FastifyRequest): unknown {
  if (!(error instanceof MessagingServiceError)) return error;
  if (error.status >= 500) return unavailableProblem(error, request, 'messaging');
  const problem = error.problem ?? {};
  const type = typeof problem.type === 'string' ? problem.type : '';
  const slug = type.startsWith('https://parley.dev/problems/')
    ? type.slice('https://parley.dev/problems/'.length)
    : 'request-refused';
  const { type: _t, title, status: _s, detail, instance: _i, ...extensions } = problem;
  return new ProblemError(
    error.status,
    slug,
    typeof title === 'string' ? title : 'Request refused',
    typeof detail === 'string' ? detail : undefined,
    extensions,
  );
}
