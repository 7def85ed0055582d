/**
 * Attachments on a send: the media service alone knows whose upload an id is, so messaging asks
 * it to bind the ids to the message before writing the send (a refusal leaves nothing written).
 * The message id is deterministic (ids.ts), so a retried send binds again without harm; a send
 * that fails after its bind leaves the uploads bound to a message id only that same send (its
 * retry) can ever carry. Removal needs no call: media follows the messages topic's deletes.
 */
import { ProblemError } from '@parley/kit';
import { type MediaClient, ServiceProblemError } from '@parley/media-client';

export interface AttachmentBinder {
  bind(
    tenant: string,
    request: { conversationId: string; messageId: string; senderId: string; mediaIds: string[] },
  ): Promise<void>;
}

const refused = () =>
  new ProblemError(
    422,
    'attachment-not-allowed',
    'Attachment not allowed',
    'A message may carry only your own finished uploads into this conversation, attached to no other message',
  );

/** Through @parley/media-client (messaging's credential). */
export class MediaAttachmentBinder implements AttachmentBinder {
  readonly #media: MediaClient;

  constructor(media: MediaClient) {
    this.#media = media;
  }

  async bind(
    tenant: string,
    request: { conversationId: string; messageId: string; senderId: string; mediaIds: string[] },
  ): Promise<void> {
    try {
      await this.#media.bindAttachments(tenant, request);
    } catch (error) {
      if (error instanceof ServiceProblemError && error.status === 422) throw refused();
      if (error instanceof ServiceProblemError && error.status < 500) throw error;
      throw new ProblemError(
        503,
        'service-unavailable',
        'Service unavailable',
        'Attachments cannot be checked now',
      );
    }
  }
}

/** Where no media service is configured: every attachment is refused (never stored unchecked). */
export const noAttachments: AttachmentBinder = {
  bind: async () => {
    throw refused();
  },
};
