/**
 * What media holds about a person, for GDPR (workers/gdpr-participation.ts):
 * - export: the list of their uploads (id, conversation, message, name, type, size, SHA-256,
 *   time). The archive lists them rather than carrying the bytes: a person's files can be
 *   gigabytes, and each one stays downloadable by them through the API while they are a member.
 * - erasure, as GDPR_ERASURE_MODE says (the same setting as messaging's, so one tenant's
 *   messages and files go the same way): `delete` removes their files (object and record);
 *   `anonymise` keeps the files in their conversations, attributed to `former-member` and without
 *   their file names (a name may be personal). Files in a conversation under a legal hold are
 *   kept as they are.
 */
import type { MediaRecord, MediaRecords } from '../store/media-records.ts';
import type { Deletions } from './deletions.ts';

export type ErasureMode = 'delete' | 'anonymise';
export const FORMER_MEMBER = 'former-member';

export interface ExportedUpload {
  mediaId: string;
  conversationId: string;
  messageId?: string;
  fileName?: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
}

export class PersonalData {
  readonly #records: MediaRecords;
  readonly #deletions: Deletions;

  constructor(options: { records: MediaRecords; deletions: Deletions }) {
    this.#records = options.records;
    this.#deletions = options.deletions;
  }

  async export(tenant: string, userId: string): Promise<{ uploads: ExportedUpload[] }> {
    const records = await this.#records.byUploader(tenant, userId);
    return { uploads: records.map(exported) };
  }

  async erase(
    tenant: string,
    userId: string,
    mode: ErasureMode,
    heldConversations: ReadonlySet<string>,
  ): Promise<{ counts: Record<string, number> }> {
    let erased = 0;
    let kept = 0;
    for (const record of await this.#records.byUploader(tenant, userId)) {
      if (heldConversations.has(record.conversationId)) {
        kept++;
        continue;
      }
      if (mode === 'delete') await this.#deletions.remove(tenant, record);
      else await this.#records.anonymise(tenant, record._id, FORMER_MEMBER);
      erased++;
    }
    return {
      counts:
        mode === 'delete'
          ? { filesDeleted: erased, filesHeld: kept }
          : { filesAnonymised: erased, filesHeld: kept },
    };
  }
}

function exported(record: MediaRecord): ExportedUpload {
  return {
    mediaId: record._id,
    conversationId: record.conversationId,
    ...(record.messageId ? { messageId: record.messageId } : {}),
    ...(record.fileName ? { fileName: record.fileName } : {}),
    contentType: record.contentType,
    size: record.size,
    sha256: record.sha256,
    createdAt: record.createdAt.toISOString(),
  };
}
