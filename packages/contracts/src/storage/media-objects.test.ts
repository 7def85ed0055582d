import { describe, expect, it } from 'vitest';
import {
  mediaConversationPrefix,
  mediaDerivedObjectKey,
  mediaDerivedObjectKeys,
  mediaObjectKey,
  mediaObjectMetadata,
  parseMediaObjectKey,
  readMediaUploader,
} from './media-objects.ts';

describe('media object layout', () => {
  it('puts the conversation in the key and parses it back', () => {
    const key = mediaObjectKey({ conversationId: 'c-42', mediaId: '0190a1b2-c3d4' });
    expect(key).toBe('conversations/c-42/0190a1b2-c3d4');
    expect(parseMediaObjectKey(key)).toEqual({ conversationId: 'c-42', mediaId: '0190a1b2-c3d4' });
    expect(mediaConversationPrefix('c-42')).toBe('conversations/c-42/');
  });

  it('refuses ids that would not parse back and ignores keys outside the layout', () => {
    expect(() => mediaObjectKey({ conversationId: 'a/b', mediaId: 'm' })).toThrow(/conversation id/);
    expect(() => mediaObjectKey({ conversationId: 'a', mediaId: '../m' })).toThrow(/media id/);
    for (const key of [
      'tmp/x',
      'conversations/a',
      'conversations/a/b/c',
      'conversations//m',
      'conversations/a/',
    ]) {
      expect(parseMediaObjectKey(key)).toBeUndefined();
    }
  });

  it('puts derived objects next to their original, outside the parse', () => {
    const ref = { conversationId: 'c-42', mediaId: 'm1' };
    expect(mediaDerivedObjectKey(ref, 'thumbnail')).toBe('conversations/c-42/m1.thumbnail');
    expect(mediaDerivedObjectKeys(ref)).toEqual(['conversations/c-42/m1.thumbnail']);
    expect(parseMediaObjectKey('conversations/c-42/m1.thumbnail')).toBeUndefined();
  });

  it('names the uploader in metadata, read back as clients return it', () => {
    expect(mediaObjectMetadata('u-1@acme')).toEqual({ 'parley-uploader': 'u-1@acme' });
    expect(() => mediaObjectMetadata('has space')).toThrow(/uploader/);
    expect(readMediaUploader({ 'parley-uploader': 'u1' })).toBe('u1');
    expect(readMediaUploader({ 'X-Amz-Meta-Parley-Uploader': 'u2' })).toBe('u2');
    expect(readMediaUploader({ 'content-type': 'image/png' })).toBeUndefined();
    expect(readMediaUploader({ 'parley-uploader': 'bad id' })).toBeUndefined();
  });
});
