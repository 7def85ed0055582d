/**
 * The tenant's own S3 identity on MinIO, computed from the tenant id alone (no server involved):
 * a user named like the tenant's Redis and Kafka users, and a canned policy that lets it work on
 * the objects of its own bucket and nothing else.
 */
import type { PolicyDocument } from '@parley/minio-admin';
import { s3BucketName } from '@parley/tenancy';

/** The MinIO user (its access key): `tenant-<id>`, like the Redis ACL user and Kafka principal. */
export function s3AccessKey(tenant: string): string {
  return `tenant-${tenant}`;
}

/** The canned policy mapped to that user, one per tenant so no two tenants ever share one. */
export function s3PolicyName(tenant: string): string {
  return `parley-tenant-${tenant}`;
}

/**
 * What the tenant's services do with their bucket and nothing more: read, write and delete
 * objects (multipart uploads included) and list the bucket. Not granted: listing buckets,
 * creating, deleting or configuring buckets (policy, lifecycle, versioning, notifications,
 * object lock), or any other bucket. Admin actions are denied explicitly, because MinIO lets a
 * user change its own secret key and create service accounts for itself unless a policy denies
 * it: either would let the tenant escape the credentials the operator keeps in its Secret.
 */
export function tenantBucketPolicy(tenant: string): PolicyDocument {
  const bucket = s3BucketName(tenant);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TenantBucket',
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: [`arn:aws:s3:::${bucket}`],
      },
      {
        Sid: 'TenantObjects',
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        Resource: [`arn:aws:s3:::${bucket}/*`],
      },
      { Sid: 'NoAdministration', Effect: 'Deny', Action: ['admin:*'] },
    ],
  };
}
