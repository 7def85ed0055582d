/** The problems media answers with (RFC 9457, stable types under https://parley.dev/problems/). */
import { ProblemError } from '@parley/kit';

export const mediaProblems = {
  attachmentNotAllowed: () =>
    new ProblemError(
      422,
      'attachment-not-allowed',
      'Attachment not allowed',
      'A message may carry only finished uploads of its sender into its conversation, attached to no other message',
    ),
  notFound: () => new ProblemError(404, 'media-not-found', 'No such media', 'No such media object'),
  /** An image whose thumbnail is not made yet (or never will be: not an image, over the caps). */
  thumbnailNotFound: () =>
    new ProblemError(404, 'thumbnail-not-found', 'No thumbnail', 'This file has no thumbnail (yet)'),
  conversationNotFound: () =>
    new ProblemError(404, 'conversation-not-found', 'No such conversation', 'No such conversation'),
  tooLarge: (limit: number) =>
    new ProblemError(413, 'media-too-large', 'File too large', `Files may be at most ${limit} bytes`, {
      limitBytes: limit,
    }),
  quotaExceeded: (quota: number) =>
    new ProblemError(
      413,
      'storage-quota-exceeded',
      'Storage quota exceeded',
      'The organisation\u2019s storage is full',
      {
        quotaBytes: quota,
      },
    ),
  unsupportedType: (detail: string) =>
    new ProblemError(415, 'unsupported-media-type', 'Unsupported file type', detail),
  typeMismatch: (detail: string) =>
    new ProblemError(415, 'media-type-mismatch', 'The declared type lies', detail),
  emptyUpload: () => new ProblemError(400, 'empty-upload', 'Empty file', 'An upload needs at least one byte'),
  incomplete: () =>
    new ProblemError(
      400,
      'upload-incomplete',
      'Upload incomplete',
      'The upload ended before its declared length',
    ),
  notUploader: () =>
    new ProblemError(
      403,
      'not-uploader',
      'Not yours',
      'Only the uploader or a tenant admin may delete a file',
    ),
  rangeNotSatisfiable: (size: number) =>
    new ProblemError(416, 'range-not-satisfiable', 'Range not satisfiable', `The file has ${size} bytes`, {
      size,
    }),
};
