/**
 * Who takes part in GDPR exports and erasures. Services register themselves (platform-wide);
 * the compliance service is always a participant, since it holds the audit log and consents.
 */
import type { MongoClient } from 'mongodb';
import { type ParticipantDocument, participantsCollection } from '../store/gdpr-collections.ts';

export const COMPLIANCE_PARTICIPANT = 'compliance';

export class ParticipantRegistry {
  readonly #client: MongoClient;
  readonly #database: string | undefined;

  /** `database` defaults to parley_platform; tests pass their own so they see only their participants. */
  constructor(client: MongoClient, database?: string) {
    this.#client = client;
    this.#database = database;
  }

  async register(
    name: string,
    input: { handles: ('export' | 'erasure')[]; description: string },
  ): Promise<ParticipantDocument> {
    const doc = {
      handles: input.handles,
      description: input.description,
      registeredAt: new Date().toISOString(),
    };
    await participantsCollection(this.#client, this.#database).replaceOne({ _id: name }, doc, {
      upsert: true,
    });
    return { _id: name, ...doc };
  }

  async list(): Promise<ParticipantDocument[]> {
    return participantsCollection(this.#client, this.#database).find().sort({ _id: 1 }).limit(1000).toArray();
  }

  /** The participants of a request: every registered one that handles it, and compliance. */
  async namesFor(kind: 'export' | 'erasure'): Promise<string[]> {
    const registered = (await this.list()).filter((p) => p.handles.includes(kind)).map((p) => p._id);
    return [...new Set([COMPLIANCE_PARTICIPANT, ...registered])].sort();
  }
}
