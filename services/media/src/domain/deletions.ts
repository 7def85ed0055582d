/**
 * Removing media: one file by its uploader (or a tenant admin), and every file of a person (GDPR
 * erasure) or of a conversation (its deletion). The object and its derived objects (the thumbnail)
 * go first, then the record, then the usage, so a failure half-way leaves a record whose object is gone (a download answers 404 and a
 * retry of the delete finishes), never an unlisted object.
 */
import { mediaDerivedObjectKeys, mediaObjectKey } from '@parley/contracts';
import { s3BucketName } from '@parley/tenancy';
import type { Client } from 'minio';
import type { MediaRecord, MediaRecords } from '../store/media-records.ts';
import { mediaProblems } from './media-problems.ts';
import type { ActingUser } from './membership.ts';

export class Deletions {
  readonly #s3: Client;
  readonly #records: MediaRecords;

  constructor(options: { s3: Client; records: MediaRecords }) {
    this.#s3 = options.s3;
    this.#records = options.records;
  }

  /** The caller may delete their own upload; an admin anyone's. `record` was read for a member. */
  async deleteOne(user: ActingUser, record: MediaRecord): Promise<void> {
    if (record.uploaderId !== user.userId && !user.roles.includes('admin')) throw mediaProblems.notUploader();
    await this.remove(user.tenant, record);
  }

  async remove(tenant: string, record: MediaRecord): Promise<void> {
    const bucket = s3BucketName(tenant);
    const ref = { conversationId: record.conversationId, mediaId: record._id };
    // Derived first: a failure after them leaves the original, which a retry removes with them.
    for (const derived of mediaDerivedObjectKeys(ref)) await this.#s3.removeObject(bucket, derived);
    await this.#s3.removeObject(bucket, mediaObjectKey(ref));
    const removed = await this.#records.remove(tenant, record._id);
    if (removed && removed.state !== 'uploading') await this.#records.addUsage(tenant, -removed.size);
    // Once more after the record: a thumbnail its worker wrote while this ran (it had read the
    // record before it went) goes too; one written after finds no record and removes itself.
    for (const derived of mediaDerivedObjectKeys(ref)) await this.#s3.removeObject(bucket, derived);
  }

  /** Every upload of a person (erasure). Returns how many were removed. */
  async removeUploadsOf(tenant: string, uploaderId: string): Promise<number> {
    const records = await this.#records.byUploader(tenant, uploaderId);
    for (const record of records) await this.remove(tenant, record);
    return records.length;
  }

  /** Every file of a conversation (its deletion). */
  async removeConversation(tenant: string, conversationId: string): Promise<number> {
    const records = await this.#records.byConversation(tenant, conversationId);
    for (const record of records) await this.remove(tenant, record);
    return records.length;
  }
}
