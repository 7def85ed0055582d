/**
 * The S3 client (MinIO's SDK, which speaks to MinIO and to AWS S3 alike) from the S3_* settings.
 * Path-style addressing, because MinIO and most self-hosted S3 servers do not serve a DNS name
 * per bucket. The client opens no connection until its first call, so there is nothing to retry.
 */
import { Client } from 'minio';

export interface S3Settings {
  S3_ENDPOINT: string;
  S3_ACCESS_KEY: string;
  S3_SECRET_KEY: string;
}

export function createS3Client(settings: S3Settings): Client {
  const url = new URL(settings.S3_ENDPOINT);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    useSSL: url.protocol === 'https:',
    accessKey: settings.S3_ACCESS_KEY,
    secretKey: settings.S3_SECRET_KEY,
    pathStyle: true,
  });
}
