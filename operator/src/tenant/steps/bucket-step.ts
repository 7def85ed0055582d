/** S3: the tenant's bucket (parley-<tenant>), created when missing. */
import type { Client as MinioClient } from 'minio';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export class BucketStep implements TenantStep {
  readonly name = 'Bucket';
  readonly #s3: MinioClient;

  constructor(s3: MinioClient) {
    this.#s3 = s3;
  }

  async apply({ desired, event }: TenantStepContext): Promise<StepOutcome> {
    if (!(await this.#s3.bucketExists(desired.bucket))) {
      try {
        await this.#s3.makeBucket(desired.bucket);
        event('Normal', 'BucketCreated', `S3 bucket ${desired.bucket} created`);
      } catch (error) {
        // Two reconciles racing on one bucket: the loser sees it exists, which is what we want.
        if ((error as { code?: string }).code !== 'BucketAlreadyOwnedByYou') throw error;
      }
    }
    return ready('Provisioned', `bucket ${desired.bucket}`);
  }
}

/** Removes every object (and the bucket). Object listing is paged by the client. */
export async function deleteTenantBucket(s3: MinioClient, bucket: string): Promise<number> {
  if (!(await s3.bucketExists(bucket))) return 0;
  const names: string[] = [];
  for await (const item of s3.listObjectsV2(bucket, '', true)) {
    if (item.name) names.push(item.name);
  }
  for (let i = 0; i < names.length; i += 1000) await s3.removeObjects(bucket, names.slice(i, i + 1000));
  await s3.removeBucket(bucket);
  return names.length;
}
