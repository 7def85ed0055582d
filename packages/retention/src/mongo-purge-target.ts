/**
 * A PurgeTarget over one Mongo collection whose documents carry a creation time, and optionally a
 * conversation id and the ids of the people they concern. Paging is by (createdAt, _id), so held
 * items that stay behind never make a batch read the same rows again.
 */
// ids are ObjectIds or strings; the driver's types only admit ObjectId for a generic Document.
import type { Collection, Document, Filter, ObjectId } from 'mongodb';
import type { RetentionResource } from './policy.ts';
import type { PurgeCandidate, PurgeQuery, PurgeTarget } from './purge-target.ts';

export interface MongoPurgeTargetOptions {
  resource: RetentionResource;
  collection: Collection<Document>;
  createdAtField: string;
  conversationField?: string;
  /** Fields holding a user id or an array of user ids (authorId, ownerId, participants). */
  subjectFields?: string[];
  /** Extra conditions every purged document must meet (e.g. not already a tombstone). */
  baseFilter?: Filter<Document>;
}

export class MongoPurgeTarget implements PurgeTarget {
  readonly resource: RetentionResource;
  readonly #options: MongoPurgeTargetOptions;

  constructor(options: MongoPurgeTargetOptions) {
    this.resource = options.resource;
    this.#options = options;
  }

  async listExpired(query: PurgeQuery): Promise<PurgeCandidate[]> {
    const { collection, createdAtField, conversationField, subjectFields = [] } = this.#options;
    const and: Filter<Document>[] = [{ [createdAtField]: { $lt: query.before } }];
    if (this.#options.baseFilter) and.push(this.#options.baseFilter);
    if (conversationField && query.conversationIds)
      and.push({ [conversationField]: { $in: query.conversationIds } });
    if (conversationField && query.excludeConversationIds) {
      and.push({ [conversationField]: { $nin: query.excludeConversationIds } });
    }
    if (query.after) {
      and.push({
        $or: [
          { [createdAtField]: { $gt: query.after.createdAt } },
          {
            [createdAtField]: query.after.createdAt,
            _id: { $gt: (query.after.ref ?? query.after.id) as ObjectId },
          },
        ],
      });
    }
    const projection: Document = { _id: 1, [createdAtField]: 1 };
    if (conversationField) projection[conversationField] = 1;
    for (const field of subjectFields) projection[field] = 1;
    const docs = await collection
      .find({ $and: and }, { projection })
      .sort({ [createdAtField]: 1, _id: 1 })
      .limit(query.limit)
      .toArray();
    return docs.map((doc) => ({
      id: String(doc._id),
      ref: doc._id,
      createdAt: doc[createdAtField] as Date,
      conversationId: conversationField ? (doc[conversationField] as string | undefined) : undefined,
      subjects: subjectFields.flatMap((field) => {
        const value = doc[field] as unknown;
        if (Array.isArray(value)) return value.map(String);
        return value === undefined || value === null ? [] : [String(value)];
      }),
    }));
  }

  async delete(items: PurgeCandidate[], before: Date): Promise<number> {
    if (items.length === 0) return 0;
    const result = await this.#options.collection.deleteMany({
      _id: { $in: items.map((item) => (item.ref ?? item.id) as ObjectId) },
      // Re-checked at delete time: a document whose time changed since listing is not expired.
      [this.#options.createdAtField]: { $lt: before },
    });
    return result.deletedCount;
  }
}
