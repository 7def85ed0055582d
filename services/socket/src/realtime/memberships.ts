/** The conversations a user belongs to, asked of messaging (the truth) as that user. */
import type { MessagingClient } from '@parley/messaging-client';
import type { SocketIdentity } from './identity.ts';

/** Enough for any real user; beyond it a client still recovers what it tracks through sync. */
const MAX_PAGES = 50;

export async function conversationIdsOf(
  messaging: MessagingClient,
  identity: SocketIdentity,
): Promise<string[]> {
  const calls = messaging.as({ tenant: identity.tenant, userId: identity.userId, roles: identity.roles });
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const list = await calls.listConversations({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const conversation of list.conversations) ids.push(conversation.id);
    cursor = list.nextCursor;
    if (!cursor) break;
  }
  return ids;
}
