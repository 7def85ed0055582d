/**
 * Media's routes, all internal (the gateway's credential; the verified user in x-parley-user /
 * x-parley-roles). The tenant is in the path and gated by the operator's runtime record.
 *
 * - POST   /tenants/:tenant/conversations/:conversationId/media?name=  the raw bytes as the body
 * - GET    /tenants/:tenant/media/:mediaId           the record (JSON)
 * - GET    /tenants/:tenant/media/:mediaId/content   the bytes (Range: one range, 206)
 * - DELETE /tenants/:tenant/media/:mediaId           the uploader or a tenant admin
 *
 * The upload's body is never parsed: every content type is handed on as the request stream.
 */
import {
  ACTING_ROLES_HEADER,
  ACTING_USER_HEADER,
  ActingUserHeadersSchema,
  MediaConversationIdSchema,
  MediaIdSchema,
  MediaUploadQuerySchema,
} from '@parley/contracts';
import { guardScope, ProblemSchema, type ServiceApp, Type } from '@parley/kit';
import { TenantIdSchema } from '@parley/tenancy';
import type { FastifyRequest } from 'fastify';
import type { MediaComponents } from '../components.ts';
import { parseRange } from '../domain/downloads.ts';
import { mediaProblems } from '../domain/media-problems.ts';
import type { ActingUser } from '../domain/membership.ts';
import { MediaViewSchema, mediaView } from './media-views.ts';

const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  413: ProblemSchema,
  415: ProblemSchema,
};

const MediaParams = Type.Object({ tenant: TenantIdSchema, mediaId: MediaIdSchema });
const UploadParams = Type.Object({ tenant: TenantIdSchema, conversationId: MediaConversationIdSchema });

function actingUser(request: FastifyRequest): ActingUser {
  const headers = request.headers as Record<string, string | undefined>;
  return {
    tenant: (request.params as { tenant: string }).tenant,
    userId: headers[ACTING_USER_HEADER] as string,
    roles: (headers[ACTING_ROLES_HEADER] ?? '').split(',').filter(Boolean),
  };
}

export const mediaRoutes =
  (c: MediaComponents) =>
  async (scope: ServiceApp): Promise<void> => {
    guardScope(scope, scope.serviceCredential({ allow: ['gateway'] }));
    scope.addHook('preHandler', scope.servedTenant);
    scope.removeAllContentTypeParsers();
    // The body is left unread: the handler streams request.raw, never parsed or buffered. The
    // parsed body stays undefined (not the stream), since kit's text check walks a parsed body.
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    // A refusal before the body was read whole (a limit, a type): the connection closes after the
    // answer, or the caller's unread bytes would keep it busy (and a drain waiting) for ever.
    scope.addHook('onSend', async (request, reply, payload) => {
      if (!request.raw.complete) reply.header('connection', 'close');
      return payload;
    });

    scope.post(
      '/tenants/:tenant/conversations/:conversationId/media',
      {
        schema: {
          params: UploadParams,
          querystring: MediaUploadQuerySchema,
          headers: ActingUserHeadersSchema,
          response: { 201: MediaViewSchema, ...errors },
        },
      },
      async (request, reply) => {
        const length = request.headers['content-length'];
        const record = await c.uploads.upload({
          user: actingUser(request),
          conversationId: request.params.conversationId,
          fileName: request.query.name,
          declaredType: request.headers['content-type'],
          declaredLength: length !== undefined ? Number(length) : undefined,
          body: request.raw,
        });
        return reply.code(201).send(mediaView(record));
      },
    );

    scope.get(
      '/tenants/:tenant/media/:mediaId',
      {
        schema: {
          params: MediaParams,
          headers: ActingUserHeadersSchema,
          response: { 200: MediaViewSchema, ...errors },
        },
      },
      async (request) => mediaView(await c.downloads.describe(actingUser(request), request.params.mediaId)),
    );

    scope.get(
      '/tenants/:tenant/media/:mediaId/content',
      {
        schema: {
          params: MediaParams,
          headers: ActingUserHeadersSchema,
          response: {
            200: Type.Any({ description: 'The file, decrypted' }),
            206: Type.Any(),
            416: ProblemSchema,
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const user = actingUser(request);
        const record = await c.downloads.describe(user, request.params.mediaId);
        const range = parseRange(request.headers.range, record.size);
        if (range === 'unsatisfiable') {
          reply.header('content-range', `bytes */${record.size}`);
          throw mediaProblems.rangeNotSatisfiable(record.size);
        }
        const download = await c.downloads.open(user, request.params.mediaId, range);
        reply
          .header('content-type', record.contentType)
          .header('x-content-type-options', 'nosniff')
          .header('accept-ranges', 'bytes')
          .header('etag', `"${record.sha256}"`)
          .header('x-parley-sha256', record.sha256)
          .header(
            'content-disposition',
            `attachment; filename*=UTF-8''${encodeURIComponent(record.fileName ?? record._id)}`,
          );
        if (download.range) {
          const { start, end } = download.range;
          reply.code(206).header('content-range', `bytes ${start}-${end}/${record.size}`);
          reply.header('content-length', end - start + 1);
        } else reply.header('content-length', record.size);
        return reply.send(download.body);
      },
    );

    scope.delete(
      '/tenants/:tenant/media/:mediaId',
      {
        schema: {
          params: MediaParams,
          headers: ActingUserHeadersSchema,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const user = actingUser(request);
        const record = await c.downloads.describe(user, request.params.mediaId);
        await c.deletions.deleteOne(user, record);
        return reply.code(204).send(null);
      },
    );
  };
