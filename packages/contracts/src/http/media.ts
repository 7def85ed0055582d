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
