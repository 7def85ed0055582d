/**
 * A file into a conversation (`POST /api/v1/conversations/:id/media?name=`, the bytes as the
 * body), with progress. XMLHttpRequest rather than the SDK's fetch: fetch reports no upload
 * progress. The route, body and answer are the SDK's (the types below come from it); the bytes are
 * declared `application/octet-stream`, which names no type, so media's sniffing decides (a type
 * guessed from the file name could only cause a 415 media-type-mismatch).
 */
import type { paths } from '@parley/sdk';
import { describeProblem } from '../problem.ts';
import { freshAccessToken } from '../session.ts';

export type MediaObject =
  paths['/api/v1/media/{mediaId}']['get']['responses'][200]['content']['application/json'];

export interface Upload {
  done: Promise<MediaObject>;
  cancel(): void;
}

/** Media keeps at most 255 characters of a name, without control characters or slashes. */
export function uploadName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: those are what the server refuses
  const clean = name.replace(/[\u0000-\u001f/\\]/g, '_').slice(0, 255);
  return clean || 'file';
}

export function uploadFile(
  conversationId: string,
  file: File,
  onProgress: (fraction: number) => void,
): Upload {
  const xhr = new XMLHttpRequest();
  const done = (async () => {
    const token = await freshAccessToken();
    return new Promise<MediaObject>((resolve, reject) => {
      const url = `/api/v1/conversations/${encodeURIComponent(conversationId)}/media?name=${encodeURIComponent(uploadName(file.name))}`;
      xhr.open('POST', url);
      xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.responseType = 'json';
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        if (xhr.status === 201) resolve(xhr.response as MediaObject);
        else
          reject(new Error(describeProblem(xhr.response, `The file could not be uploaded (${xhr.status}).`)));
      };
      xhr.onerror = () => reject(new Error('The server cannot be reached. Check your connection.'));
      xhr.onabort = () => reject(new Error('Cancelled.'));
      xhr.send(file);
    });
  })();
  return { done, cancel: () => xhr.abort() };
}
