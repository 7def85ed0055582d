/**
 * A tenant admin's outgoing webhooks: endpoints (create, with the signing secret in that answer
 * only; list; get; delete, with their deliveries) and each endpoint's delivery log (attempts,
 * status, last error) with replay. Everything is looked up in the path's tenant database (the
 * gateway took the tenant from the admin's token), so another tenant's endpoint or delivery id
 * is this tenant's 404.
 */
import {
  ActingUserHeadersSchema,
  CreateWebhookEndpointBodySchema,
  IntegrationIdSchema,
  TenantParamsSchema,
  WebhookDeliveryListSchema,
  WebhookDeliveryQuerySchema,
  WebhookDeliverySchema,
  WebhookEndpointCreatedSchema,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
} from '@parley/contracts';
import { ProblemSchema, routePlugin, Type } from '@parley/kit';
import type { WebhookDeliveries } from '../domain/webhook-deliveries.ts';
import type { WebhookEndpoints } from '../domain/webhook-endpoints.ts';
import type { WebhookSender } from '../domain/webhook-sender.ts';
import type { WebhookDeliverer } from '../workers/webhook-deliverer.ts';
import { adminOf } from './admin-caller.ts';

const EndpointParams = Type.Intersect([TenantParamsSchema, Type.Object({ endpointId: IntegrationIdSchema })]);
const DeliveryParams = Type.Intersect([EndpointParams, Type.Object({ deliveryId: IntegrationIdSchema })]);
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

export const outgoingWebhookRoutes = routePlugin<{
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveries;
  sender: WebhookSender;
  deliverer: WebhookDeliverer;
}>((app, { endpoints, deliveries, sender, deliverer }) => {
  const headers = ActingUserHeadersSchema;
  app.post(
    '/outgoing-webhooks',
    {
      schema: {
        summary:
          'Create an outgoing webhook endpoint (its Standard Webhooks signing secret is in this answer only)',
        params: TenantParamsSchema,
        headers,
        body: CreateWebhookEndpointBodySchema,
        response: { 201: WebhookEndpointCreatedSchema, ...errors, 409: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request, reply) => {
      const admin = adminOf(request);
      const created = await endpoints.create(admin.tenant, admin.userId, request.body);
      await deliveries.ensureIndexes(admin.tenant);
      reply.status(201);
      return created;
    },
  );
  app.get(
    '/outgoing-webhooks',
    {
      schema: {
        summary: "The tenant's outgoing webhook endpoints (never their secrets)",
        params: TenantParamsSchema,
        headers,
        response: { 200: WebhookEndpointListSchema, ...errors },
      },
    },
    async (request) => ({ endpoints: await endpoints.list(adminOf(request).tenant) }),
  );
  app.get(
    '/outgoing-webhooks/:endpointId',
    {
      schema: {
        summary: 'One outgoing webhook endpoint',
        params: EndpointParams,
        headers,
        response: { 200: WebhookEndpointSchema, ...errors },
      },
    },
    async (request) => endpoints.get(adminOf(request).tenant, request.params.endpointId),
  );
  app.delete(
    '/outgoing-webhooks/:endpointId',
    {
      schema: {
        summary: 'Delete an endpoint and its delivery log: nothing more is sent to it',
        params: EndpointParams,
        headers,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { tenant } = adminOf(request);
      const { endpointId } = request.params;
      await endpoints.delete(tenant, endpointId);
      await deliveries.deleteForEndpoint(tenant, endpointId);
      sender.forget(tenant, endpointId);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/outgoing-webhooks/:endpointId/deliveries',
    {
      schema: {
        summary:
          "The endpoint's delivery log, newest first: status, attempts (status code or error), next attempt",
        params: EndpointParams,
        headers,
        querystring: WebhookDeliveryQuerySchema,
        response: { 200: WebhookDeliveryListSchema, ...errors },
      },
    },
    async (request) => {
      const { tenant } = adminOf(request);
      await endpoints.get(tenant, request.params.endpointId);
      return deliveries.list(tenant, request.params.endpointId, request.query);
    },
  );
  app.get(
    '/outgoing-webhooks/:endpointId/deliveries/:deliveryId',
    {
      schema: {
        summary: 'One delivery and its attempts',
        params: DeliveryParams,
        headers,
        response: { 200: WebhookDeliverySchema, ...errors },
      },
    },
    async (request) => {
      const { tenant } = adminOf(request);
      await endpoints.get(tenant, request.params.endpointId);
      return deliveries.get(tenant, request.params.endpointId, request.params.deliveryId);
    },
  );
  app.post(
    '/outgoing-webhooks/:endpointId/deliveries/:deliveryId/replay',
    {
      schema: {
        summary:
          'Send a delivery again (delivered or failed): due now, with a fresh round of attempts and the same webhook-id',
        params: DeliveryParams,
        headers,
        response: { 202: WebhookDeliverySchema, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant } = adminOf(request);
      await endpoints.get(tenant, request.params.endpointId);
      const replayed = await deliveries.replay(tenant, request.params.endpointId, request.params.deliveryId);
      void deliverer.runNow().catch(() => {});
      reply.status(202);
      return replayed;
    },
  );
});
