/**
 * The bytes of a media object at rest: chunked envelope encryption, so a file of any size is
 * encrypted and decrypted as a stream (never held whole), and a byte range is read by fetching
 * only the chunks it touches.
 *
 *   header  "PMO1" | chunkSize: u32 BE | w: u16 BE | wrapped data key (w bytes, @parley/envelope kind 2)
 *   frames  frame 0 | frame 1 | ... | frame n-1
 *   frame i nonce(12) | AES-256-GCM ciphertext of plaintext chunk i | tag(16)
 *
 * - One fresh data key per object (keyring.generateDataKey(tenant, 'media.object')), wrapped by the
 *   tenant key; the wrapped key authenticates itself, bound to the tenant and the purpose. Shredding
 *   the tenant key (or the key version) leaves every object unreadable, and a copied bucket is
 *   useless without the keyring.
 * - Every frame but the last holds exactly chunkSize plaintext bytes; the last holds 1..chunkSize
 *   (0 only for an empty object, one empty frame), so there are max(1, ceil(size / chunkSize))
 *   frames and their boundaries follow from the object's size alone.
 * - AAD of frame i: "parley.media.v1" | len·tenant | len·mediaId | chunkSize u32 | i u32 | final u8.
 *   A frame moved to another object, tenant or position, frames reordered, and an object cut at a
 *   frame boundary (no frame says final) all fail authentication.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { DecryptionFailedError, NONCE_BYTES, open, seal, TAG_BYTES } from '@parley/envelope';

export const MEDIA_MAGIC = Buffer.from('PMO1', 'latin1');
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const FRAME_OVERHEAD = NONCE_BYTES + TAG_BYTES;
const DOMAIN = Buffer.from('parley.media.v1', 'utf8');

export interface MediaKeyContext {
  tenant: string;
  mediaId: string;
  chunkSize: number;
}

export function encodeHeader(chunkSize: number, wrappedDataKey: Uint8Array): Buffer {
  const header = Buffer.alloc(MEDIA_MAGIC.length + 4 + 2 + wrappedDataKey.length);
  MEDIA_MAGIC.copy(header, 0);
  header.writeUInt32BE(chunkSize, 4);
  header.writeUInt16BE(wrappedDataKey.length, 8);
  header.set(wrappedDataKey, 10);
  return header;
}

export interface ParsedHeader {
  chunkSize: number;
  wrappedDataKey: Buffer;
  length: number;
}

/** The header at the start of `bytes`, or undefined when more bytes are needed. */
export function parseHeader(bytes: Buffer): ParsedHeader | undefined {
  if (bytes.length < 10) return undefined;
  if (!bytes.subarray(0, 4).equals(MEDIA_MAGIC)) throw new DecryptionFailedError('not a media object');
  const chunkSize = bytes.readUInt32BE(4);
  const w = bytes.readUInt16BE(8);
  if (chunkSize === 0 || w === 0) throw new DecryptionFailedError('a malformed media header');
  if (bytes.length < 10 + w) return undefined;
  return { chunkSize, wrappedDataKey: Buffer.from(bytes.subarray(10, 10 + w)), length: 10 + w };
}

function frameAad(context: MediaKeyContext, index: number, final: boolean): Buffer {
  const tenant = Buffer.from(context.tenant, 'utf8');
  const media = Buffer.from(context.mediaId, 'utf8');
  const tail = Buffer.alloc(9);
  tail.writeUInt32BE(context.chunkSize, 0);
  tail.writeUInt32BE(index, 4);
  tail[8] = final ? 1 : 0;
  const lengths = Buffer.alloc(4);
  lengths.writeUInt16BE(tenant.length, 0);
  lengths.writeUInt16BE(media.length, 2);
  return Buffer.concat([DOMAIN, lengths.subarray(0, 2), tenant, lengths.subarray(2), media, tail]);
}

/** The stored size of an object of `plainSize` bytes, header excluded. */
export function framesSize(plainSize: number, chunkSize: number): number {
  return plainSize + (lastFrameIndex(plainSize, chunkSize) + 1) * FRAME_OVERHEAD;
}

/** The index of an object's last frame. */
export function lastFrameIndex(plainSize: number, chunkSize: number): number {
  return Math.max(0, Math.ceil(plainSize / chunkSize) - 1);
}

/** Plaintext in, header then frames out. Holds at most one chunk and the bytes of one write. */
export class EncryptingStream extends Transform {
  readonly #key: Buffer;
  readonly #context: MediaKeyContext;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #index = 0;

  constructor(dataKey: Buffer, wrappedDataKey: Uint8Array, context: MediaKeyContext) {
    super();
    this.#key = dataKey;
    this.#context = context;
    this.push(encodeHeader(context.chunkSize, wrappedDataKey));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const size = this.#context.chunkSize;
    // Strictly more than a chunk: the last full chunk is held until we know whether more follows.
    if (this.#pendingBytes > size) {
      let all = Buffer.concat(this.#pending);
      while (all.length > size) {
        this.push(this.#sealFrame(all.subarray(0, size), false));
        all = all.subarray(size);
      }
      this.#pending = [all];
      this.#pendingBytes = all.length;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.push(this.#sealFrame(Buffer.concat(this.#pending), true));
    this.#pending = [];
    callback();
  }

  #sealFrame(plain: Buffer, final: boolean): Buffer {
    const frame = seal(this.#key, plain, frameAad(this.#context, this.#index, final), Buffer.alloc(0));
    this.#index += 1;
    return frame;
  }
}

/**
 * Frames in (from frame `firstIndex`, the header already read), plaintext out, up to frame
 * `endIndex` (the object's last frame for a whole download, the range's last for a range).
 * `objectLastIndex` is the object's last frame (from its size): only it is opened as final, so a
 * stream cut short or one with a frame too many fails authentication.
 */
export class DecryptingStream extends Transform {
  readonly #key: Buffer;
  readonly #context: MediaKeyContext;
  readonly #endIndex: number;
  readonly #objectLastIndex: number;
  #buffer: Buffer = Buffer.alloc(0);
  #index: number;

  constructor(
    dataKey: Buffer,
    context: MediaKeyContext,
    options: { firstIndex?: number; endIndex: number; objectLastIndex: number },
  ) {
    super();
    this.#key = dataKey;
    this.#context = context;
    this.#index = options.firstIndex ?? 0;
    this.#endIndex = options.endIndex;
    this.#objectLastIndex = options.objectLastIndex;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frame = this.#context.chunkSize + FRAME_OVERHEAD;
    try {
      while (this.#index < this.#endIndex && this.#buffer.length >= frame) {
        this.push(this.#openFrame(this.#buffer.subarray(0, frame)));
        this.#buffer = this.#buffer.subarray(frame);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // What is left must be exactly frame endIndex: anything short or long fails its tag.
      if (this.#index !== this.#endIndex) throw new DecryptionFailedError('the media object is truncated');
      this.push(this.#openFrame(this.#buffer));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  #openFrame(frame: Buffer): Buffer {
    const final = this.#index === this.#objectLastIndex;
    const plain = open(this.#key, frame, 0, frameAad(this.#context, this.#index, final));
    this.#index += 1;
    return plain;
  }
}

/** Which stored bytes (after the header) hold plaintext bytes [start, end], and where they begin in the first frame. */
export function frameRange(
  start: number,
  end: number,
  plainSize: number,
  chunkSize: number,
): {
  firstIndex: number;
  lastFrameOfRange: number;
  lastIndex: number;
  offset: number;
  length: number;
  skip: number;
} {
  const lastIndex = lastFrameIndex(plainSize, chunkSize);
  const firstIndex = Math.floor(start / chunkSize);
  const lastFrameOfRange = Math.min(Math.floor(end / chunkSize), lastIndex);
  const frame = chunkSize + FRAME_OVERHEAD;
  const offset = firstIndex * frame;
  const endOffset = Math.min((lastFrameOfRange + 1) * frame, framesSize(plainSize, chunkSize));
  return {
    firstIndex,
    lastFrameOfRange,
    lastIndex,
    offset,
    length: endOffset - offset,
    skip: start - firstIndex * chunkSize,
  };
}
