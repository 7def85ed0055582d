/**
 * The display names of a message's files, for its index document (`attachmentNames`), so a search
 * for a file name finds the message that carries it; the document being the message's, the same
 * permission filter decides who finds it. Events carry only media ids (a name may be personal and
 * stays with media, never in a topic), so search asks media, as the message is indexed, through
 * @parley/media-client with its own credential; media answers only for files bound to that
 * message.
 *
 * Media unreachable (or answering 5xx) throws, so the batch is redelivered and no document is
 * written without its names; a 4xx (a misconfigured credential) would never heal by retrying, so
 * the message is indexed without names and the caller logs it.
 */
import { type MediaClient, ServiceProblemError } from '@parley/media-client';

export interface AttachmentNameSource {
  /** The names of the files bound to `messageId` among `mediaIds`, in that order. */
  namesOf(tenant: string, messageId: string, mediaIds: string[]): Promise<string[]>;
}

export class MediaAttachmentNames implements AttachmentNameSource {
  readonly #media: MediaClient;
  readonly #onRefused: (error: ServiceProblemError) => void;

  constructor(media: MediaClient, onRefused: (error: ServiceProblemError) => void = () => {}) {
    this.#media = media;
    this.#onRefused = onRefused;
  }

  async namesOf(tenant: string, messageId: string, mediaIds: string[]): Promise<string[]> {
    if (mediaIds.length === 0) return [];
    try {
      const answer = await this.#media.attachmentNames(tenant, { messageId, mediaIds });
      return answer.files.map((file) => file.name);
    } catch (error) {
      if (error instanceof ServiceProblemError && error.status < 500) {
        this.#onRefused(error);
        return [];
      }
      throw error;
    }
  }
}

/** For deployments and tests without a media service: no message has named files. */
export const noAttachmentNames: AttachmentNameSource = { namesOf: async () => [] };
