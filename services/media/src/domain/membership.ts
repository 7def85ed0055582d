/**
 * Whether a user is a member of a conversation, asked of the messaging service (which alone
 * decides membership) through @parley/messaging-client, as that user: messaging answers the
 * conversation to its members and 404 to everyone else, whatever the reason (another tenant's
 * id, a private conversation, a removed member). Asked on every upload and every download, never
 * cached, so a removed member loses access at once.
 */
import { ProblemError } from '@parley/kit';
import { type MessagingClient, MessagingServiceError } from '@parley/messaging-client';
import { mediaProblems } from './media-problems.ts';

export interface ActingUser {
  tenant: string;
  userId: string;
  roles: readonly string[];
}

export interface Membership {
  assertMember(user: ActingUser, conversationId: string): Promise<void>;
}

export class MessagingMembership implements Membership {
  readonly #messaging: MessagingClient;

  constructor(messaging: MessagingClient) {
    this.#messaging = messaging;
  }

  async assertMember(user: ActingUser, conversationId: string): Promise<void> {
    try {
      await this.#messaging.as(user).getConversation(conversationId);
    } catch (error) {
      if (error instanceof MessagingServiceError) {
        if (error.status === 404 || error.status === 403 || error.status === 400)
          throw mediaProblems.conversationNotFound();
        throw new ProblemError(
          503,
          'service-unavailable',
          'Service unavailable',
          'Membership cannot be checked now',
        );
      }
      throw error;
    }
  }
}
