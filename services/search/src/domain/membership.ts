/**
 * Whose messages a caller may find: the conversations it is an active member of now, as
 * messaging answers at the moment of the search (never a cached or indexed copy, so a member
 * removed a second ago finds nothing of that conversation). Archived ones are included: a member
 * still reads them.
 */
import type { MessagingClient } from '@parley/messaging-client';

/** The most conversations a search covers (messaging's sidebar reads up to 5000 memberships too). */
export const MEMBERSHIP_CAP = 5_000;

export interface Caller {
  tenant: string;
  userId: string;
  roles: string[];
}

export class Membership {
  readonly #messaging: MessagingClient;

  constructor(messaging: MessagingClient) {
    this.#messaging = messaging;
  }

  /** Messaging's `GET /memberships`: ids only (the sidebar's `GET /conversations` counts unread messages per conversation, 60 times slower at 250). */
  async conversationsOf(caller: Caller): Promise<string[]> {
    const { conversationIds } = await this.#messaging.as(caller).memberships();
    return conversationIds.slice(0, MEMBERSHIP_CAP);
  }
}
