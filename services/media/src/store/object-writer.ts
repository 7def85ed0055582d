/**
 * Writes one object from a stream of bytes with bounded memory: S3 multipart, parts of
 * `partBytes` (S3's minimum is 5 MiB), `concurrency` parts (2) uploading while the next fills, so
 * an upload holds at most three parts whatever its size. An object smaller than one part is one PUT. Any failure
 * (the source erroring: a client cut off, a limit, a bad type) aborts the multipart upload, so
 * S3 keeps no part and no object.
 *
 * Written on minio's multipart calls rather than putObject because putObject with a stream of
 * unknown size buffers parts of ~500 MiB, and does not end when its source errors (it pipes
 * without forwarding the error).
 */
import type { Client } from 'minio';

export interface ObjectWriterOptions {
  s3: Client;
  bucket: string;
  key: string;
  metadata: Record<string, string>;
  partBytes: number;
  /** Parts uploading at once (default 2): memory is (concurrency + 1) parts. */
  concurrency?: number;
}

export async function writeObject(
  options: ObjectWriterOptions,
  source: AsyncIterable<Buffer>,
): Promise<void> {
  const { s3, bucket, key } = options;
  const headers = Object.fromEntries(
    Object.entries(options.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]),
  );
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let uploadId: string | undefined;
  /** Parts uploading now (at most `concurrency`), so the next fills while earlier ones travel. */
  let inFlight: Promise<void>[] = [];
  const concurrency = options.concurrency ?? 2;
  const etags: { part: number; etag: string }[] = [];
  let partNumber = 0;

  const sendPart = async (body: Buffer) => {
    if (!uploadId)
      uploadId = await s3.initiateNewMultipartUpload(bucket, key, {
        ...headers,
        'content-type': 'application/octet-stream',
      });
    partNumber += 1;
    const part = partNumber;
    const id = uploadId;
    while (inFlight.length >= concurrency) await Promise.race(inFlight);
    const sending: Promise<void> = s3
      .uploadPart({ bucketName: bucket, objectName: key, uploadID: id, partNumber: part, headers: {} }, body)
      .then((result) => {
        etags.push({ part, etag: result.etag });
      })
      .finally(() => {
        inFlight = inFlight.filter((p) => p !== sending);
      });
    inFlight.push(sending);
  };

  try {
    for await (const chunk of source) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= options.partBytes) {
        const all = Buffer.concat(pending);
        await sendPart(all.subarray(0, options.partBytes));
        pending = [all.subarray(options.partBytes)];
        pendingBytes = pending[0]?.length ?? 0;
      }
    }
    const rest = Buffer.concat(pending);
    if (!uploadId) {
      await s3.putObject(bucket, key, rest, rest.length, {
        ...options.metadata,
        'content-type': 'application/octet-stream',
      });
      return;
    }
    if (rest.length > 0) await sendPart(rest);
    await Promise.all(inFlight);
    etags.sort((a, b) => a.part - b.part);
    await s3.completeMultipartUpload(bucket, key, uploadId, etags);
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (uploadId) await s3.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw error;
  }
}
