/**
 * Incoming webhooks: a tenant admin's (create with the conversation, list, delete), and the post
 * itself (`POST /hooks/:webhookId`), which the gateway forwards from the secret URL with the
 * secret in HOOK_SECRET_HEADER. Slack's body: `text` is posted, its other fields are ignored.
 */
import {
  ActingUserHeadersSchema,
  CreateIncomingWebhookBodySchema,
  HOOK_SECRET_HEADER,
  IncomingWebhookCreatedSchema,
  IncomingWebhookListSchema,
  IncomingWebhookPostBodySchema,
  IncomingWebhookPostedSchema,
  IntegrationIdSchema,
  TenantParamsSchema,
} from '@parley/contracts';
import { ProblemSchema, routePlugin, Type } from '@parley/kit';
import type { IncomingWebhooks } from '../domain/incoming-webhooks.ts';
import { adminOf } from './admin-caller.ts';

const WebhookParams = Type.Intersect([TenantParamsSchema, Type.Object({ webhookId: IntegrationIdSchema })]);
const SecretHeaders = Type.Object({ [HOOK_SECRET_HEADER]: Type.String({ pattern: '^[a-f0-9]{64}$' }) });
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

export const incomingWebhookRoutes = routePlugin<{ webhooks: IncomingWebhooks }>((app, { webhooks }) => {
  app.post(
    '/incoming-webhooks',
    {
      schema: {
        summary: 'Create an incoming webhook posting into one conversation (its URL is in this answer only)',
        params: TenantParamsSchema,
        headers: ActingUserHeadersSchema,
        body: CreateIncomingWebhookBodySchema,
        response: { 201: IncomingWebhookCreatedSchema, ...errors, 409: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return webhooks.create(adminOf(request), request.body);
    },
  );
  app.get(
    '/incoming-webhooks',
    {
      schema: {
        summary: "The tenant's incoming webhooks (never their URLs' secrets)",
        params: TenantParamsSchema,
        headers: ActingUserHeadersSchema,
        response: { 200: IncomingWebhookListSchema, ...errors },
      },
    },
    async (request) => ({ webhooks: await webhooks.list(adminOf(request).tenant) }),
  );
  app.delete(
    '/incoming-webhooks/:webhookId',
    {
      schema: {
        summary: 'Delete an incoming webhook: its URL stops at once',
        params: WebhookParams,
        headers: ActingUserHeadersSchema,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await webhooks.delete(adminOf(request), request.params.webhookId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/hooks/:webhookId',
    {
      schema: {
        summary: "Post into the webhook's conversation (Slack-compatible body)",
        params: WebhookParams,
        headers: SecretHeaders,
        body: IncomingWebhookPostBodySchema,
        response: { 200: IncomingWebhookPostedSchema, ...errors, 409: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request) => {
      const { tenant, webhookId } = request.params;
      const posted = await webhooks.post(
        tenant,
        webhookId,
        request.headers[HOOK_SECRET_HEADER],
        request.body.text,
      );
      return { ok: true as const, messageId: posted.messageId };
    },
  );
});
