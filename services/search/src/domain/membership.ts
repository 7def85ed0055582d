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

  async conversationsOf(caller: Caller): Promise<string[]> {
    const calls = this.#messaging.as(caller);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await calls.listConversations({
        archived: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      for (const c of page.conversations) ids.push(c.id);
      cursor = page.nextCursor;
    } while (cursor && ids.length < MEMBERSHIP_CAP);
    return ids.slice(0, MEMBERSHIP_CAP);
  }
}
