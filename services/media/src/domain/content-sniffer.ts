/**
 * The content type of an upload, from its first bytes (file-type's magic numbers), never from
 * what the client says: a declared type is only compared with what the bytes are, and a
 * mismatch is refused (a "lying" type is how an HTML page rides in as an image). Types file-type
 * cannot recognise (plain text among them) are refused as unsupported: only what is on the
 * allow-list and recognisable is stored.
 */
import { fileTypeFromBuffer } from 'file-type';
import { mediaProblems } from './media-problems.ts';

/** What file-type needs to decide (its documented sample size). */
export const SNIFF_BYTES = 4100;

export const DEFAULT_ALLOWED_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'application/pdf',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'audio/x-m4a',
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'application/zip',
] as const;

/** Declared types that name the same thing as the sniffed one. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/mp4': 'audio/x-m4a',
  'application/x-zip-compressed': 'application/zip',
};

const normalise = (type: string) => {
  const bare = type.split(';')[0]?.trim().toLowerCase() ?? '';
  return ALIASES[bare] ?? bare;
};

/** Declared types that say nothing (a client that does not know): not a lie. */
const UNINFORMATIVE = new Set(['', 'application/octet-stream']);

export async function sniffContentType(
  head: Buffer,
  declared: string | undefined,
  allowed: ReadonlySet<string>,
): Promise<{ contentType: string; extension: string }> {
  const found = await fileTypeFromBuffer(head);
  if (!found) throw mediaProblems.unsupportedType('The file\u2019s bytes are not of a type Parley accepts');
  const sniffed = normalise(found.mime);
  const said = normalise(declared ?? '');
  if (!UNINFORMATIVE.has(said) && said !== sniffed)
    throw mediaProblems.typeMismatch(`The file was declared ${said} but its bytes are ${sniffed}`);
  if (!allowed.has(sniffed)) throw mediaProblems.unsupportedType(`Files of type ${sniffed} are not accepted`);
  return { contentType: sniffed, extension: found.ext };
}
