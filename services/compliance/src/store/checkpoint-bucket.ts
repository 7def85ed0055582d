/**
 * Signed checkpoints published in the tenant's own bucket (`parley-<tenant>`), where the tenant
 * reads them with its own S3 credential and keeps copies, apart from the database an attacker
 * would rewrite. Layout (stable, part of the product):
 *   audit/checkpoints/<tree size, 16 digits>.json   every checkpoint (the name sorts by size)
 *   audit/latest-checkpoint.json                     the largest one (what signing must extend)
 *   audit/signing-keys.json                          the public keys that sign them
 * The bucket is the operator's (Tenant provisioning); a tenant without one gets no signatures,
 * rather than checkpoints nobody outside the database holds.
 */
import type { CheckpointPublisher, SignedCheckpoint } from '@parley/audit-chain';
import { s3BucketName } from '@parley/tenancy';
import type { Client } from 'minio';
import type { SigningKeysDocument } from '../domain/audit-signing-keys.ts';

export const CHECKPOINTS_PREFIX = 'audit/checkpoints/';
export const LATEST_CHECKPOINT_OBJECT = 'audit/latest-checkpoint.json';
export const SIGNING_KEYS_OBJECT = 'audit/signing-keys.json';

export function checkpointObjectKey(treeSize: number): string {
  return `${CHECKPOINTS_PREFIX}${String(treeSize).padStart(16, '0')}.json`;
}

export class BucketCheckpoints implements CheckpointPublisher {
  readonly #s3: Client;
  readonly #keys: () => SigningKeysDocument;
  /** Tenants whose bucket already holds this process's key document. */
  readonly #keysPublished = new Set<string>();

  constructor(s3: Client, keys: () => SigningKeysDocument) {
    this.#s3 = s3;
    this.#keys = keys;
  }

  async publish(tenant: string, checkpoint: SignedCheckpoint): Promise<void> {
    const bucket = s3BucketName(tenant);
    if (!this.#keysPublished.has(tenant)) {
      await this.#put(bucket, SIGNING_KEYS_OBJECT, this.#keys());
      this.#keysPublished.add(tenant);
    }
    await this.#put(bucket, checkpointObjectKey(checkpoint.treeSize), checkpoint);
    // The pointer only moves forward (two replicas may publish out of order).
    const latest = await this.latest(tenant);
    if (!latest || latest.treeSize < checkpoint.treeSize)
      await this.#put(bucket, LATEST_CHECKPOINT_OBJECT, checkpoint);
  }

  async latest(tenant: string): Promise<SignedCheckpoint | undefined> {
    return this.#read(s3BucketName(tenant), LATEST_CHECKPOINT_OBJECT);
  }

  /** Published checkpoints in size order, strictly after `afterSize`. */
  async list(tenant: string, options: { afterSize?: number; limit: number }): Promise<SignedCheckpoint[]> {
    const bucket = s3BucketName(tenant);
    const startAfter = options.afterSize !== undefined ? checkpointObjectKey(options.afterSize) : '';
    const names: string[] = [];
    try {
      for await (const item of this.#s3.listObjectsV2(bucket, CHECKPOINTS_PREFIX, true, startAfter)) {
        if (item.name) names.push(item.name);
        if (names.length >= options.limit) break;
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'NoSuchBucket') return [];
      throw error;
    }
    const out: SignedCheckpoint[] = [];
    for (const name of names) {
      const checkpoint = await this.#read(bucket, name);
      if (checkpoint) out.push(checkpoint);
    }
    return out;
  }

  async #put(bucket: string, key: string, value: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(value));
    await this.#s3.putObject(bucket, key, body, body.length, { 'Content-Type': 'application/json' });
  }

  async #read(bucket: string, key: string): Promise<SignedCheckpoint | undefined> {
    let text: string;
    try {
      const stream = await this.#s3.getObject(bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
      text = Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      // No bucket: nothing was published (and publishing will fail, so nothing gets signed).
      const code = (error as { code?: string }).code;
      if (code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket') return undefined;
      throw error;
    }
    // Whatever is there is handed over as is: the log checks the signature and refuses to sign
    // over anything that is not a genuine checkpoint of this log.
    try {
      return JSON.parse(text) as SignedCheckpoint;
    } catch {
      return { log: '', treeSize: 0, rootHash: '', issuedAt: '', keyId: '', signature: '' };
    }
  }
}
