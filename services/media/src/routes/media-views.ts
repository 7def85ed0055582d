/** The JSON shape of a media record, as media and the gateway answer it (@parley/contracts). */
import type { MediaObject } from '@parley/contracts';
import type { MediaRecord, MediaThumbnail } from '../store/media-records.ts';

export { MediaObjectSchema as MediaViewSchema } from '@parley/contracts';

export function mediaView(record: MediaRecord): MediaObject {
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
    ...(record.messageId ? { messageId: record.messageId } : {}),
    ...(record.width && record.height ? { width: record.width, height: record.height } : {}),
    ...(record.thumbnail ? { thumbnail: thumbnailView(record.thumbnail) } : {}),
  };
}

function thumbnailView(t: MediaThumbnail): NonNullable<MediaObject['thumbnail']> {
  if (t.state === 'ready' && t.width && t.height) return { state: 'ready', width: t.width, height: t.height };
  return { state: t.state === 'ready' ? 'refused' : t.state };
}
