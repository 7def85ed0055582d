/** The JSON shape of a media record, as media and the gateway answer it. */
import { Type } from '@parley/kit';
import type { MediaRecord } from '../store/media-records.ts';

export const MediaViewSchema = Type.Object(
  {
    mediaId: Type.String(),
    conversationId: Type.String(),
    uploaderId: Type.String(),
    fileName: Type.Optional(Type.String()),
    size: Type.Integer({ minimum: 0 }),
    contentType: Type.String(),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    keyVersion: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'MediaObject', additionalProperties: false },
);

export function mediaView(record: MediaRecord) {
  return {
    mediaId: record._id,
    conversationId: record.conversationId,
    uploaderId: record.uploaderId,
    ...(record.fileName ? { fileName: record.fileName } : {}),
    size: record.size,
    contentType: record.contentType,
    sha256: record.sha256,
    keyVersion: record.keyVersion,
    createdAt: record.createdAt.toISOString(),
  };
}
