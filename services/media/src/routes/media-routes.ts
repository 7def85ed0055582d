/**
 * Media's routes, all internal (the gateway's credential; the verified user in x-parley-user /
 * x-parley-roles). The tenant is in the path and gated by the operator's runtime record.
 *
 * - POST   /tenants/:tenant/conversations/:conversationId/media?name=  the raw bytes as the body
 * - GET    /tenants/:tenant/media/:mediaId           the record (JSON)
 * - GET    /tenants/:tenant/media/:mediaId/content   the bytes (Range: one range, 206)
 * - DELETE /tenants/:tenant/media/:mediaId           the uploader or a tenant admin
 * - POST   /tenants/:tenant/media/:mediaId/links     a signed download link for the caller (members)
 * - GET    /tenants/:tenant/media/:mediaId/linked-content?token=  the bytes through a signed link:
 *          no acting user (a browser has no token to give); the link names the user, whose
 *          membership is asked again on every download (domain/download-links.ts)
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
import { guardScope, ProblemError, ProblemSchema, type ServiceApp, Type } from '@parley/kit';
import { TenantIdSchema } from '@parley/tenancy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MediaComponents } from '../components.ts';
import { type MediaVariant, parseRange, storedVariant } from '../domain/downloads.ts';
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
/** `?variant=thumbnail`: an image's thumbnail (WebP) instead of the file; 404 `thumbnail-not-found` until made. */
const VariantSchema = Type.Optional(
  Type.Union([Type.Literal('original'), Type.Literal('thumbnail')], { default: 'original' }),
);
const ContentQuery = Type.Object({ variant: VariantSchema });
const LinkQuery = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 2048 }),
  variant: VariantSchema,
});
const LinkSchema = Type.Object({
  token: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
});
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
    async function serveContent(
      user: ActingUser,
      mediaId: string,
      variant: MediaVariant,
      request: FastifyRequest,
      reply: FastifyReply,
    ) {
      const record = await c.downloads.describe(user, mediaId);
      const stored = storedVariant(record, variant);
      if (!stored) throw mediaProblems.thumbnailNotFound();
      const range = parseRange(request.headers.range, stored.size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${stored.size}`);
        throw mediaProblems.rangeNotSatisfiable(stored.size);
      }
      const download = await c.downloads.open(user, mediaId, range, variant);
      const original = variant === 'original';
      reply
        .header('content-type', stored.contentType)
        .header('x-content-type-options', 'nosniff')
        .header('accept-ranges', 'bytes')
        .header('etag', original ? `"${record.sha256}"` : `"${record.sha256}.thumbnail"`)
        .header(
          'content-disposition',
          original
            ? `attachment; filename*=UTF-8''${encodeURIComponent(record.fileName ?? record._id)}`
            : 'inline; filename="thumbnail.webp"',
        );
      // The checksum is the original's: a thumbnail carries none.
      if (original) reply.header('x-parley-sha256', record.sha256);
      if (download.range) {
        const { start, end } = download.range;
        reply.code(206).header('content-range', `bytes ${start}-${end}/${stored.size}`);
        reply.header('content-length', end - start + 1);
      } else reply.header('content-length', stored.size);
      return reply.send(download.body);
    }

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
          querystring: ContentQuery,
          headers: ActingUserHeadersSchema,
          response: {
            200: Type.Any({ description: 'The file (or its thumbnail), decrypted' }),
            206: Type.Any(),
            416: ProblemSchema,
            ...errors,
          },
        },
      },
      (request, reply) =>
        serveContent(
          actingUser(request),
          request.params.mediaId,
          request.query.variant ?? 'original',
          request,
          reply,
        ),
    );

    scope.post(
      '/tenants/:tenant/media/:mediaId/links',
      {
        schema: {
          params: MediaParams,
          headers: ActingUserHeadersSchema,
          response: { 201: LinkSchema, ...errors },
        },
      },
      async (request, reply) => {
        const user = actingUser(request);
        // Only a member gets a link; the download through it asks again.
        await c.downloads.describe(user, request.params.mediaId);
        const link = c.links.sign(user, request.params.mediaId);
        return reply.code(201).send({ token: link.token, expiresAt: link.expiresAt.toISOString() });
      },
    );

    scope.get(
      '/tenants/:tenant/media/:mediaId/linked-content',
      {
        schema: {
          params: MediaParams,
          querystring: LinkQuery,
          response: { 200: Type.Any(), 206: Type.Any(), 416: ProblemSchema, ...errors },
        },
      },
      async (request, reply) => {
        const claims = c.links.verify(request.query.token);
        if (claims === 'expired')
          throw new ProblemError(403, 'download-link-expired', 'Link expired', 'Ask for a new link');
        // A link of another tenant or upload is refused like a forged one: it names nothing here.
        if (
          typeof claims === 'string' ||
          claims.tenant !== request.params.tenant ||
          claims.mediaId !== request.params.mediaId
        )
          throw new ProblemError(403, 'download-link-invalid', 'Invalid link', 'This link is not valid');
        const user = { tenant: claims.tenant, userId: claims.userId, roles: claims.roles };
        return serveContent(user, claims.mediaId, request.query.variant ?? 'original', request, reply);
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
