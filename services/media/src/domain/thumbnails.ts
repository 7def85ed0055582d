/**
 * Thumbnails of uploaded images, made by the thumbnail worker (workers/thumbnails.ts), never in a
 * request: decoding is where image parsers are attacked and where a decompression bomb (a few KB
 * that claim 50,000 × 50,000 pixels) spends gigabytes, so no request ever waits on it.
 *
 * Chosen: sharp (libvips; prebuilt binaries as @img/* packages, no system library to install).
 * Bounded before and while decoding: an original over `maxInputBytes` is never read; its header
 * is read first (`metadata()` decodes no pixels) and an image over `maxPixels` is refused; and
 * the decode itself runs with sharp's `limitInputPixels` at the same cap, so a header that lies
 * is stopped by libvips too. Only the first frame of an animation is read. The thumbnail is WebP,
 * at most `edge` pixels on its longer side, never enlarged, EXIF orientation applied and all
 * metadata dropped (sharp keeps none unless asked: no GPS position leaves in a thumbnail).
 *
 * One image at a time per process (sharp.concurrency(1)) and no libvips cache: the media process
 * also streams uploads and downloads, which must not wait behind a resize.
 */
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);

/** The sniffed types a thumbnail is made for (what the prebuilt libvips decodes). */
export const THUMBNAIL_SOURCE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
]);

export interface ThumbnailLimits {
  /** Pixels (width × height) an image may have to be decoded at all. */
  maxPixels: number;
  /** Bytes an original may have to be read at all. */
  maxInputBytes: number;
  /** The thumbnail's longer side, in pixels. */
  edge: number;
}

export interface Thumbnail {
  data: Buffer;
  width: number;
  height: number;
  /** The original's dimensions. */
  source: { width: number; height: number };
}

/** The image is not decoded: over a cap, or not an image libvips reads. `reason` is stored. */
export class ImageRefusedError extends Error {
  readonly reason: 'too-many-pixels' | 'too-large' | 'undecodable';
  constructor(reason: ImageRefusedError['reason'], message: string) {
    super(message);
    this.name = 'ImageRefusedError';
    this.reason = reason;
  }
}

export async function makeThumbnail(original: Buffer, limits: ThumbnailLimits): Promise<Thumbnail> {
  if (original.length > limits.maxInputBytes)
    throw new ImageRefusedError('too-large', `${original.length} bytes is over ${limits.maxInputBytes}`);
  const options = { limitInputPixels: limits.maxPixels, failOn: 'error' as const, animated: false };
  let width: number;
  let height: number;
  try {
    const meta = await sharp(original, options).metadata();
    width = meta.autoOrient?.width ?? meta.width ?? 0;
    height = meta.autoOrient?.height ?? meta.height ?? 0;
  } catch (error) {
    throw refusalOf(error);
  }
  if (width <= 0 || height <= 0) throw new ImageRefusedError('undecodable', 'the image has no dimensions');
  if (width * height > limits.maxPixels)
    throw new ImageRefusedError('too-many-pixels', `${width}×${height} is over ${limits.maxPixels} pixels`);
  try {
    const { data, info } = await sharp(original, options)
      .rotate()
      .resize({ width: limits.edge, height: limits.edge, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, source: { width, height } };
  } catch (error) {
    throw refusalOf(error);
  }
}

function refusalOf(error: unknown): ImageRefusedError {
  const message = error instanceof Error ? error.message : String(error);
  // libvips' words for limitInputPixels: "Input image exceeds pixel limit".
  if (/pixel limit/i.test(message)) return new ImageRefusedError('too-many-pixels', message);
  return new ImageRefusedError('undecodable', message);
}
