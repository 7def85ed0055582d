/**
 * Files in conversations, for the signed-in user, through @parley/media-client:
 *
 * - POST   /api/v1/conversations/:conversationId/media?name=  the file's bytes as the body → 201
 * - GET    /api/v1/media/:mediaId                             its record
 * - GET    /api/v1/media/:mediaId/content                     the bytes (Range: one range → 206)
 * - DELETE /api/v1/media/:mediaId                             the uploader or a tenant admin → 204
 * - POST   /api/v1/media/:mediaId/links                       a short-lived signed link for the caller → 201
 * - GET    /api/v1/tenants/:tenant/media/:mediaId/linked-content?token=  the bytes through that link,
 *          without a bearer token (an <img>, a <video>): media checks the link and asks again
 *          whether its user is still a member; the token rides in the query string, which
 *          Fastify's maxParamLength does not limit
 *
 * The tenant, user and roles go to media from the verified token only; media asks messaging
 * whether the user is a member of the file's conversation on every call, so the gateway only
 * checks the tenant role that may chat (member or admin), as for messaging's routes.
 *
 * Both directions stream: the upload's body is never parsed or buffered here (an encapsulated
 * scope with one content-type parser that leaves the request stream unread, so the gateway's
 * JSON body limit does not apply and media's per-plan limit does), and the download is piped
 * from media's answer. A client that goes away mid-upload aborts the call to media, which then
 * leaves no object and no record behind.
 */
import { Readable } from 'node:stream';
import {
  MediaConversationIdSchema,
  MediaIdSchema,
  MediaObjectSchema,
  type MediaUploadQuery,
  MediaUploadQuerySchema,
} from '@parley/contracts';
import { type ServiceApp, Type } from '@parley/kit';
import type { MediaClient } from '@parley/media-client';
import { TenantIdSchema } from '@parley/tenancy';
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { NoContent } from './auth-routes.ts';
import { API_PREFIX, guardsFor, type ProxyContext, type Role } from './proxy-route.ts';
import { asUpstreamProblem } from './upstream-problem.ts';

const CHATTERS: readonly Role[] = ['member', 'admin'];

const UploadParams = Type.Object({ conversationId: MediaConversationIdSchema });
const MediaParams = Type.Object({ mediaId: MediaIdSchema });
const LinkedParams = Type.Object({ tenant: TenantIdSchema, mediaId: MediaIdSchema });
const LinkQuery = Type.Object({ token: Type.String({ minLength: 1, maxLength: 2048 }) });
const LinkAnswer = Type.Object({
  url: Type.String({
    description: 'The link: a path under this API, valid until expiresAt, for the caller only',
  }),
  token: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
});
/** The body as the document shows it; the parser below hands the handler an empty string. */
const FileBody = Type.String({ format: 'binary', description: 'The file, as raw bytes (any content type)' });
/**
 * A file is answered with the type it was stored under (image/png, application/pdf, ...), so its
 * media type in the document is the range of any (schemathesis found a PNG documented as
 * application/octet-stream).
 */
const FILE_TYPE = '*/*';
const FileAnswer = Type.String({
  format: 'binary',
  description: 'The file, decrypted (whole, or the range asked for)',
});

function userOf(request: FastifyRequest) {
  const claims = request.auth;
  if (!claims) throw new Error('media route without its token guard');
  return { tenant: claims.tid, userId: claims.sub, roles: claims.roles };
}

export function registerMediaRoutes(app: ServiceApp, context: ProxyContext, media: MediaClient): void {
  const onRequest = guardsFor(CHATTERS, context);
  const call = async <T>(request: FastifyRequest, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw asUpstreamProblem(error, request, 'media');
    }
  };

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Every content type: the body stays in request.raw for the handler to stream. The parsed
    // body is '' (what the documented string schema accepts), never the stream itself.
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, ''));
    // Media refused before the whole body arrived (a limit, a type): close after the answer, so
    // the client's unread bytes never keep the connection, and the drain, waiting.
    scope.addHook('onSend', async (request, reply, payload) => {
      if (!request.raw.complete) reply.header('connection', 'close');
      return payload;
    });
    scope.route({
      method: 'POST',
      url: `${API_PREFIX}/conversations/:conversationId/media`,
      onRequest,
      schema: {
        operationId: 'uploadMedia',
        tags: ['media'],
        summary:
          'Uploads a file into a conversation (members): its type is sniffed from the bytes, it is encrypted before it is stored',
        description:
          'The body is the file itself. Limits: the plan’s size per file and storage quota (413), the allowed types (415 unsupported-media-type), a declared Content-Type that names another type than the bytes (415 media-type-mismatch).',
        consumes: ['application/octet-stream'],
        params: UploadParams,
        querystring: MediaUploadQuerySchema,
        body: FileBody,
        response: { 201: MediaObjectSchema },
      } as FastifySchema,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const raw = request.raw;
        const aborted = new AbortController();
        raw.once('close', () => {
          if (!raw.complete) aborted.abort();
        });
        const length = request.headers['content-length'];
        const record = await call(request, () =>
          media
            .as(userOf(request))
            .upload((request.params as { conversationId: string }).conversationId, raw, {
              contentType: request.headers['content-type'],
              contentLength: length !== undefined ? Number(length) : undefined,
              name: (request.query as MediaUploadQuery).name,
              signal: aborted.signal,
            }),
        );
        return reply.status(201).send(record);
      },
    });
  });

  app.route({
    method: 'GET',
    url: `${API_PREFIX}/media/:mediaId`,
    onRequest,
    schema: {
      operationId: 'getMedia',
      tags: ['media'],
      summary: 'A file’s record: uploader, conversation, name, size, type, SHA-256 (members)',
      params: MediaParams,
      response: { 200: MediaObjectSchema },
    } as FastifySchema,
    handler: (request: FastifyRequest) =>
      call(request, () =>
        media.as(userOf(request)).describe((request.params as { mediaId: string }).mediaId),
      ),
  });

  app.route({
    method: 'GET',
    url: `${API_PREFIX}/media/:mediaId/content`,
    onRequest,
    schema: {
      operationId: 'downloadMedia',
      tags: ['media'],
      summary: 'A file’s bytes, decrypted as they stream (members); one `Range: bytes=a-b` answers 206',
      params: MediaParams,
      response: {
        200: { content: { [FILE_TYPE]: { schema: FileAnswer } } },
        206: { content: { [FILE_TYPE]: { schema: FileAnswer } } },
      },
    } as FastifySchema,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const range = request.headers.range;
      const download = await call(request, () =>
        media
          .as(userOf(request))
          .download((request.params as { mediaId: string }).mediaId, range ? { range } : {}),
      );
      reply.status(download.status);
      for (const [name, value] of Object.entries(download.headers)) reply.header(name, value);
      return reply.send(Readable.fromWeb(download.body as import('node:stream/web').ReadableStream));
    },
  });

  app.route({
    method: 'POST',
    url: `${API_PREFIX}/media/:mediaId/links`,
    onRequest,
    schema: {
      operationId: 'createMediaLink',
      tags: ['media'],
      summary:
        'A short-lived signed download link for the caller (members), for a browser that cannot send the token',
      params: MediaParams,
      response: { 201: LinkAnswer },
    } as FastifySchema,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const user = userOf(request);
      const { mediaId } = request.params as { mediaId: string };
      const link = await call(request, () => media.as(user).createLink(mediaId));
      const url = `${API_PREFIX}/tenants/${encodeURIComponent(user.tenant)}/media/${encodeURIComponent(mediaId)}/linked-content?token=${encodeURIComponent(link.token)}`;
      return reply.status(201).send({ url, token: link.token, expiresAt: link.expiresAt });
    },
  });

  app.route({
    method: 'GET',
    url: `${API_PREFIX}/tenants/:tenant/media/:mediaId/linked-content`,
    // No bearer token: the signed link is the credential (checked by media, with membership).
    onRequest: guardsFor('tenant-path', context),
    schema: {
      operationId: 'downloadMediaByLink',
      tags: ['media'],
      summary: 'A file’s bytes through a signed link (no bearer token); one `Range: bytes=a-b` answers 206',
      description:
        'The link comes from createMediaLink, for one user and one file, valid a few minutes; it stops working once the user leaves the conversation. A forged, altered or foreign link is 403 download-link-invalid, an old one 403 download-link-expired.',
      params: LinkedParams,
      querystring: LinkQuery,
      security: [],
      response: {
        200: { content: { [FILE_TYPE]: { schema: FileAnswer } } },
        206: { content: { [FILE_TYPE]: { schema: FileAnswer } } },
      },
    } as FastifySchema,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, mediaId } = request.params as { tenant: string; mediaId: string };
      const range = request.headers.range;
      const download = await call(request, () =>
        media.downloadLinked(
          tenant,
          mediaId,
          (request.query as { token: string }).token,
          range ? { range } : {},
        ),
      );
      reply.status(download.status);
      for (const [name, value] of Object.entries(download.headers)) reply.header(name, value);
      return reply.send(Readable.fromWeb(download.body as import('node:stream/web').ReadableStream));
    },
  });

  app.route({
    method: 'DELETE',
    url: `${API_PREFIX}/media/:mediaId`,
    onRequest,
    schema: {
      operationId: 'deleteMedia',
      tags: ['media'],
      summary: 'Deletes a file and its stored object (the uploader, or a tenant admin)',
      params: MediaParams,
      response: { 204: NoContent },
    } as FastifySchema,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      await call(request, () =>
        media.as(userOf(request)).delete((request.params as { mediaId: string }).mediaId),
      );
      return reply.status(204).send();
    },
  });
}
