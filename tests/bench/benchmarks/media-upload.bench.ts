/**
 * Upload throughput of a 50 MB file through the media service (HTTP, membership asked of the
 * real messaging service, type sniffed, SHA-256, chunked encryption, S3 multipart into MinIO)
 * against a raw minio putObject of the same bytes into the same bucket, in alternating pairs.
 * Goal: >= 0.5 of raw. Also reported, and part of the goal: how far the process's heap rose above
 * where it was during an upload (sampled every 20 ms): streamed, it stays far below the file's size.
 * The services run in this process, so the heap sampled is the media service's.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import {
  SERVICE_TOKEN as MESSAGING_TOKEN,
  openMessagingFixture,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { s3BucketName } from '@parley/tenancy';
import { type BenchContext, type Benchmark, type BenchmarkOutcome, median, runPair } from '../harness.ts';

const MB = 1_000_000;
const FILE_BYTES = 50 * MB;
const PIECE = 256 * 1024;
/** The heap may rise by at most this during an upload (the file is 50 MB). */
const MAX_HEAP_RISE_BYTES = 40 * 1024 * 1024;

const benchmark: Benchmark = {
  name: 'media-upload-vs-raw-put',
  goal: '>= 0.5 x raw minio putObject MB/s (50 MB, encrypting), heap rise < 40 MiB',
  minRatio: 0.5,
  needsStack: true,
  async run(context: BenchContext): Promise<BenchmarkOutcome> {
    const messaging = await openMessagingFixture();
    const tenant = messaging.tenant;
    const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
    const media = await openMediaFixture({
      keyring: messaging.keyring,
      messagingUrl,
      messagingToken: MESSAGING_TOKEN,
    });
    try {
      await media.addTenant(tenant);
      const mediaUrl = await media.app.listen({ host: '127.0.0.1', port: 0 });
      const created = await messaging.call('alice', 'POST', '/conversations', {
        kind: 'group',
        name: 'Bench',
      });
      const conversationId = created.json().id as string;
      const head = Buffer.from(
        '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
        'hex',
      );
      const file = Buffer.concat([head, randomBytes(FILE_BYTES - head.length)]);
      const pieces = () =>
        Readable.from(
          (function* () {
            for (let i = 0; i < file.length; i += PIECE) yield file.subarray(i, i + PIECE);
          })(),
        );
      const bucket = s3BucketName(tenant);
      let rawIndex = 0;
      let heapRise = 0;

      const throughMedia = async () => {
        const before = process.memoryUsage().heapUsed;
        let peak = before;
        const sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }, 20);
        const started = performance.now();
        const response = await fetch(
          `${mediaUrl}/v1/tenants/${tenant}/conversations/${conversationId}/media`,
          {
            method: 'POST',
            headers: {
              ...media.as('alice'),
              'content-type': 'image/png',
              'content-length': String(file.length),
            },
            body: Readable.toWeb(pieces()),
            duplex: 'half',
          } as RequestInit,
        );
        const seconds = (performance.now() - started) / 1000;
        clearInterval(sampler);
        if (response.status !== 201)
          throw new Error(`upload answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
        heapRise = Math.max(heapRise, peak - before);
        return FILE_BYTES / MB / seconds;
      };
      const raw = async () => {
        const started = performance.now();
        await media.s3.putObject(bucket, `bench/raw-${rawIndex++}`, pieces(), file.length);
        return FILE_BYTES / MB / ((performance.now() - started) / 1000);
      };

      await throughMedia();
      await raw();
      const rounds = Math.max(3, Math.min(context.rounds, 5));
      const parleyRates: number[] = [];
      const rawRates: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const [p, r] = await runPair(round, throughMedia, raw);
        parleyRates.push(p);
        rawRates.push(r);
      }
      const parley = median(parleyRates);
      const reference = median(rawRates);
      return {
        parley: { label: 'media upload (50 MB, encrypted, multipart)', value: parley, unit: 'MB/s' },
        reference: { label: 'raw minio putObject (50 MB)', value: reference, unit: 'MB/s' },
        details: { rounds, heapRiseMiB: Math.round((heapRise / 1024 / 1024) * 10) / 10 },
        goalMet: parley / reference >= 0.5 && heapRise < MAX_HEAP_RISE_BYTES,
      };
    } finally {
      await media.close();
      await messaging.close();
    }
  },
};

export default benchmark;
