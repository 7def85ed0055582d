/**
 * The media service's HTTP contract (services/media, port 3005), for the gateway, its public
 * routes and @parley/media-client: the record of an uploaded file. The acting user travels in
 * messaging's headers (ACTING_USER_HEADER, ACTING_ROLES_HEADER), the tenant in the path.
 */
import { type Static, Type } from 'typebox';

export const MediaObjectSchema = Type.Object(
  {
    mediaId: Type.String(),
    conversationId: Type.String(),
    uploaderId: Type.String(),
    fileName: Type.Optional(Type.String()),
    /** Plaintext bytes. */
    size: Type.Integer({ minimum: 0 }),
    /** Sniffed from the bytes, never taken from the client. */
    contentType: Type.String(),
    /** SHA-256 of the plaintext, hex. */
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    keyVersion: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    /** The message it is attached to, once a message names it. */
    messageId: Type.Optional(Type.String()),
    /** An image's dimensions, once its thumbnail worker read them. */
    width: Type.Optional(Type.Integer({ minimum: 1 })),
    height: Type.Optional(Type.Integer({ minimum: 1 })),
    /**
     * An image's thumbnail (WebP), made after the upload: `pending`, `ready` (served by the
     * content route with `?variant=thumbnail`) or `refused` (over the pixel or size cap, or not
     * decodable). Absent for files that are not images.
     */
    thumbnail: Type.Optional(
      Type.Object(
        {
          state: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('refused')]),
          width: Type.Optional(Type.Integer({ minimum: 1 })),
          height: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'MediaObject', additionalProperties: false },
);
export type MediaObject = Static<typeof MediaObjectSchema>;

/** POST .../media?name= : the display name kept in the record (never in the bucket). */
export const MediaUploadQuerySchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f/\\\\]+$' })),
  },
  { additionalProperties: false },
);
export type MediaUploadQuery = Static<typeof MediaUploadQuerySchema>;

/**
 * POST /v1/tenants/:tenant/attachments (messaging's credential only): binds uploads to a message
 * before messaging writes it. Each id must be a finished upload of `senderId` into
 * `conversationId` of this tenant, attached to no other message; otherwise nothing is bound and
 * the answer is 422 `attachment-not-allowed` (one problem for every reason, so the call tells
 * nothing about other people's or other tenants' ids). Binding the same ids to the same message
 * again is a no-op (messaging's retried send).
 */
export const BindAttachmentsBodySchema = Type.Object(
  {
    conversationId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    messageId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    senderId: Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$' }),
    mediaIds: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
    }),
  },
  { additionalProperties: false },
);
export type BindAttachmentsBody = Static<typeof BindAttachmentsBodySchema>;

export const BoundAttachmentsSchema = Type.Object(
  { mediaIds: Type.Array(Type.String()) },
  { additionalProperties: false },
);
export type BoundAttachments = Static<typeof BoundAttachmentsSchema>;

/**
 * POST /v1/tenants/:tenant/attachments/names (search's credential only): the display names of the
 * files bound to one message, for its index document (a search for a file name finds the message
 * that carries it). Only ids bound to `messageId` answer, so the call reveals nothing about other
 * uploads; an id without a name (none given, or anonymised by a GDPR erasure) is left out.
 */
export const AttachmentNamesBodySchema = Type.Object(
  {
    messageId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    mediaIds: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
    }),
  },
  { additionalProperties: false },
);
export type AttachmentNamesBody = Static<typeof AttachmentNamesBodySchema>;

export const AttachmentNamesSchema = Type.Object(
  {
    files: Type.Array(
      Type.Object({ mediaId: Type.String(), name: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type AttachmentNames = Static<typeof AttachmentNamesSchema>;
