/** Members: list, add, change a role, remove (or leave), join a public channel. */
import {
  AddMemberBodySchema,
  ConversationParamsSchema,
  ListMembersQuerySchema,
  MemberListSchema,
  MemberParamsSchema,
  MemberSchema,
  UpdateMemberBodySchema,
} from '@parley/contracts';
import { Type } from 'typebox';
import { ActingUserHeaders, callerOf, errors, messagingRoutes } from './route-context.ts';

export const memberRoutes = messagingRoutes((app, { conversations }) => {
  app.get(
    '/conversations/:conversationId/members',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        querystring: ListMembersQuerySchema,
        response: { 200: MemberListSchema, ...errors },
      },
    },
    async (request) =>
      conversations.listMembers(
        callerOf(request),
        request.params.conversationId,
        request.query.limit ?? 100,
        request.query.cursor,
      ),
  );

  app.post(
    '/conversations/:conversationId/members',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        body: AddMemberBodySchema,
        response: { 200: MemberSchema, ...errors },
      },
    },
    async (request) =>
      conversations.addMember(
        callerOf(request),
        request.params.conversationId,
        request.body.userId,
        request.body.role,
      ),
  );

  app.patch(
    '/conversations/:conversationId/members/:userId',
    {
      schema: {
        headers: ActingUserHeaders,
        params: MemberParamsSchema,
        body: UpdateMemberBodySchema,
        response: { 200: MemberSchema, ...errors },
      },
    },
    async (request) =>
      conversations.setRole(
        callerOf(request),
        request.params.conversationId,
        request.params.userId,
        request.body.role,
      ),
  );

  app.delete(
    '/conversations/:conversationId/members/:userId',
    {
      schema: {
        headers: ActingUserHeaders,
        params: MemberParamsSchema,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await conversations.removeMember(
        callerOf(request),
        request.params.conversationId,
        request.params.userId,
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/conversations/:conversationId/join',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        response: { 200: MemberSchema, ...errors },
      },
    },
    async (request) => conversations.join(callerOf(request), request.params.conversationId),
  );
});
