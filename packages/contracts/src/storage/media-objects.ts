/**
 * The layout of media objects in a tenant's S3 bucket: the contract between the media service,
 * which writes them, and every other reader of the bucket (retention purges, legal holds, GDPR
 * export and erasure), which must know an object's conversation and uploader without asking the
 * media service.
 *
 * - Bucket: `s3BucketName(tenant)` from @parley/tenancy (`parley-<tenant>`), one per tenant.
 * - Key: `conversations/<conversationId>/<mediaId>`. The conversation is in the key so that a
 *   retention rule or a conversation hold selects by prefix, without reading each object.
 *   `mediaId` is chosen by the media service at upload (a UUIDv7 is recommended: keys then sort
 *   by upload time within a conversation). Ids are restricted to `[A-Za-z0-9_-]` so a key parses
 *   back unambiguously and never carries a path separator.
 * - Metadata (S3 user metadata, header `x-amz-meta-parley-uploader`): the uploader's user id, the
 *   id a person legal hold names. Required: readers treat an object without it as outside the
 *   layout and never delete it, because they could not tell whether a person hold covers it.
 *   A display file name, if kept, goes in the media service's database, not in the key or
 *   metadata (it may be personal).
 * - Objects are written once and never rewritten in place (a new upload gets a new media id), so
 *   S3's LastModified is the upload time; retention ages objects by it.
 * - Keys outside `conversations/` are not media objects of this layout; readers leave them alone.
 * - Derived objects (an image's thumbnail) sit next to their original, at
 *   `conversations/<conversationId>/<mediaId>.<kind>`: the `.` keeps them out of the layout's
 *   parse (never selected, aged or held on their own), and whoever removes an original removes
 *   its derived keys with it (mediaDerivedObjectKeys).
 * - Records: the media service keeps each object's metadata in the tenant database, collection
 *   MEDIA_RECORDS_COLLECTION, `_id` the media id, with `conversationId`, `state` and `size`
 *   (plaintext bytes), and the tenant's stored bytes in MEDIA_USAGE_COLLECTION. A reader that
 *   deletes an object (retention) deletes its record and gives its bytes back to the usage.
 */
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { GdprUserIdSchema } from '../events/gdpr.ts';

export const MEDIA_KEY_ROOT = 'conversations/';
/** The user metadata name (minio and the AWS SDKs add the `x-amz-meta-` prefix on the wire). */
export const MEDIA_UPLOADER_METADATA = 'parley-uploader';

const ID_PATTERN = '^[A-Za-z0-9_-]+$';
const idRegex = new RegExp(ID_PATTERN);

export const MediaConversationIdSchema = Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: 200 });
export const MediaIdSchema = Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: 64 });
export const MediaUploaderIdSchema = GdprUserIdSchema;
const uploaderValidator = Compile(MediaUploaderIdSchema);

export const MediaObjectRefSchema = Type.Object(
  { conversationId: MediaConversationIdSchema, mediaId: MediaIdSchema },
  { additionalProperties: false },
);
export type MediaObjectRef = Static<typeof MediaObjectRefSchema>;

export function isMediaConversationId(value: string): boolean {
  return value.length <= 200 && idRegex.test(value);
}

/** `conversations/<conversationId>/`: every media object of one conversation, for listing. */
export function mediaConversationPrefix(conversationId: string): string {
  if (!isMediaConversationId(conversationId))
    throw new Error(`Invalid media conversation id ${JSON.stringify(conversationId)}`);
  return `${MEDIA_KEY_ROOT}${conversationId}/`;
}

export function mediaObjectKey(ref: MediaObjectRef): string {
  if (ref.mediaId.length > 64 || !idRegex.test(ref.mediaId))
    throw new Error(`Invalid media id ${JSON.stringify(ref.mediaId)}`);
  return `${mediaConversationPrefix(ref.conversationId)}${ref.mediaId}`;
}

/** The kinds of derived object a media object may have. */
export const MEDIA_DERIVED_KINDS = ['thumbnail'] as const;
export type MediaDerivedKind = (typeof MEDIA_DERIVED_KINDS)[number];

/** `conversations/<conversationId>/<mediaId>.<kind>`: a derived object, outside the layout's parse. */
export function mediaDerivedObjectKey(ref: MediaObjectRef, kind: MediaDerivedKind): string {
  return `${mediaObjectKey(ref)}.${kind}`;
}

/** Every derived key an original may have, for removing them with it (absent ones are fine). */
export function mediaDerivedObjectKeys(ref: MediaObjectRef): string[] {
  return MEDIA_DERIVED_KINDS.map((kind) => mediaDerivedObjectKey(ref, kind));
}

/** The media service's records (one per object, `_id` the media id) in the tenant database. */
export const MEDIA_RECORDS_COLLECTION = 'media';
/** The tenant's stored bytes: one document, `_id` MEDIA_USAGE_ID, `bytes`. */
export const MEDIA_USAGE_COLLECTION = 'media_usage';
export const MEDIA_USAGE_ID = 'storage';

/** The conversation and media id of a key of this layout; undefined for any other key. */
export function parseMediaObjectKey(key: string): MediaObjectRef | undefined {
  if (!key.startsWith(MEDIA_KEY_ROOT)) return undefined;
  const parts = key.slice(MEDIA_KEY_ROOT.length).split('/');
  if (parts.length !== 2) return undefined;
  const [conversationId, mediaId] = parts as [string, string];
  if (!isMediaConversationId(conversationId)) return undefined;
  if (mediaId.length > 64 || !idRegex.test(mediaId)) return undefined;
  return { conversationId, mediaId };
}

/** The user metadata the media service writes with an object (pass to putObject's metaData). */
export function mediaObjectMetadata(uploaderId: string): Record<string, string> {
  if (!uploaderValidator.Check(uploaderId))
    throw new Error(`Invalid uploader id ${JSON.stringify(uploaderId)}`);
  return { [MEDIA_UPLOADER_METADATA]: uploaderId };
}

/**
 * The uploader named by an object's metadata as a client returns it (minio's statObject strips
 * `x-amz-meta-` and lower-cases; raw headers keep the prefix). Undefined when absent or invalid.
 */
export function readMediaUploader(metadata: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(metadata)) {
    const lower = name.toLowerCase();
    if (lower !== MEDIA_UPLOADER_METADATA && lower !== `x-amz-meta-${MEDIA_UPLOADER_METADATA}`) continue;
    const text = Array.isArray(value) ? value[0] : value;
    return uploaderValidator.Check(text) ? text : undefined;
  }
  return undefined;
}
