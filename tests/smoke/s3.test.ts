import { Client } from 'minio';
import { describe, expect, it } from 'vitest';
import { stackSetting, uniqueSuffix } from '../setup/stack-env.ts';

describe('s3 (MinIO)', () => {
  it('puts and gets an object', async () => {
    const endpoint = new URL(stackSetting('S3_ENDPOINT'));
    const s3 = new Client({
      endPoint: endpoint.hostname,
      port: Number(endpoint.port),
      useSSL: endpoint.protocol === 'https:',
      accessKey: stackSetting('S3_ACCESS_KEY'),
      secretKey: stackSetting('S3_SECRET_KEY'),
    });
    const bucket = `parley-smoke-${uniqueSuffix()}`;
    await s3.makeBucket(bucket);
    try {
      const body = Buffer.from('hello s3');
      await s3.putObject(bucket, 'greeting.txt', body, body.length, { 'Content-Type': 'text/plain' });
      const chunks: Buffer[] = [];
      for await (const chunk of await s3.getObject(bucket, 'greeting.txt')) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('hello s3');
    } finally {
      await s3.removeObject(bucket, 'greeting.txt').catch(() => {});
      await s3.removeBucket(bucket);
    }
  });
});
