/** The conversations a user belongs to, asked of messaging (the truth) as that user. */
import type { ConversationKind } from '@parley/contracts';
import type { MessagingClient } from '@parley/messaging-client';
import type { SocketIdentity } from './identity.ts';

/** Enough for any real user; beyond it a client still recovers what it tracks through sync. */
const MAX_PAGES = 50;

export interface MembershipSummary {
  id: string;
  kind: ConversationKind;
}

export async function conversationsOf(
  messaging: MessagingClient,
  identity: Pick<SocketIdentity, 'tenant' | 'userId' | 'roles'>,
): Promise<MembershipSummary[]> {
  const calls = messaging.as({ tenant: identity.tenant, userId: identity.userId, roles: identity.roles });
  const found: MembershipSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const list = await calls.listConversations({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const conversation of list.conversations)
      found.push({ id: conversation.id, kind: conversation.kind });
    cursor = list.nextCursor;
    if (!cursor) break;
  }
  return found;
}

export async function conversationIdsOf(
  messaging: MessagingClient,
  identity: Pick<SocketIdentity, 'tenant' | 'userId' | 'roles'>,
): Promise<string[]> {
  return (await conversationsOf(messaging, identity)).map((c) => c.id);
}
