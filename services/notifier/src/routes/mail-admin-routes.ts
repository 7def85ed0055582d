/**
 * A tenant admin's view of the tenant's mail, through the gateway (its service credential, the
 * verified user in the acting-user headers; only the `admin` role): the branding every mail is
 * rendered in, and the dead letters (mails given up on, without any address: delivery-log.ts).
 */
import { ACTING_ROLES_HEADER, ActingUserHeadersSchema, TenantParamsSchema } from '@parley/contracts';
import { ProblemSchema, problems, routePlugin, Type } from '@parley/kit';
import type { FastifyRequest } from 'fastify';
import type { DeliveryLog } from '../domain/delivery-log.ts';
import { MAIL_KINDS } from '../domain/mail-requests.ts';
import { TenantBrandingSchema, type TenantBrandings } from '../domain/tenant-branding.ts';

const DeadLetterSchema = Type.Object({
  eventId: Type.String(),
  eventType: Type.String(),
  kind: Type.Optional(Type.String({ description: `One of ${MAIL_KINDS.join(', ')}` })),
  requestId: Type.Optional(Type.String()),
  outcome: Type.String({ description: 'bounced, rejected, or failed (every attempt failed for now)' }),
  response: Type.Optional(Type.String({ description: "The SMTP server's last answer" })),
  attempts: Type.Integer(),
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.String({ description: 'Where the request is on the topic, to replay it' }),
  at: Type.String({ format: 'date-time' }),
});

function assertAdmin(request: FastifyRequest): void {
  const roles = String(request.headers[ACTING_ROLES_HEADER] ?? '').split(',');
  if (!roles.includes('admin')) throw problems.forbidden('Only a tenant admin manages its mail');
}

export const mailAdminRoutes = routePlugin<{ brandings: TenantBrandings; deliveries: DeliveryLog }>(
  (app, { brandings, deliveries }) => {
    const errors = { 401: ProblemSchema, 403: ProblemSchema };
    app.get(
      '/mail/branding',
      {
        schema: {
          summary: "The tenant's mail branding: name, language, logo",
          params: TenantParamsSchema,
          headers: ActingUserHeadersSchema,
          response: { 200: TenantBrandingSchema, ...errors },
        },
      },
      async (request) => {
        assertAdmin(request);
        return brandings.get(request.params.tenant);
      },
    );
    app.put(
      '/mail/branding',
      {
        schema: {
          summary: "Sets the tenant's mail branding (every mail from now on)",
          params: TenantParamsSchema,
          headers: ActingUserHeadersSchema,
          body: TenantBrandingSchema,
          response: { 200: TenantBrandingSchema, 400: ProblemSchema, ...errors },
        },
      },
      async (request) => {
        assertAdmin(request);
        return brandings.set(request.params.tenant, request.body);
      },
    );
    app.get(
      '/mail/dead-letters',
      {
        schema: {
          summary: 'Mails given up on, newest first',
          params: TenantParamsSchema,
          headers: ActingUserHeadersSchema,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
          response: { 200: Type.Object({ deadLetters: Type.Array(DeadLetterSchema) }), ...errors },
        },
      },
      async (request) => {
        assertAdmin(request);
        const records = await deliveries.deadLetters(request.params.tenant, request.query.limit ?? 50);
        return {
          deadLetters: records.map((r) => ({
            eventId: r._id,
            eventType: r.eventType,
            ...(r.kind ? { kind: r.kind } : {}),
            ...(r.requestId ? { requestId: r.requestId } : {}),
            outcome: r.outcome ?? 'failed',
            ...(r.response ? { response: r.response } : {}),
            attempts: r.attempts,
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            at: r.updatedAt.toISOString(),
          })),
        };
      },
    );
  },
);
