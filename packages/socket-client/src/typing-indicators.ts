/**
 * Who is typing where, from the server's `conversation.typing` notices: each indicator ends when
 * told (`typing: false`) or when its `expiresInMs` passes without a new notice (a client that
 * vanished mid-word leaves no indicator behind).
 */
import type { TypingNotice } from '@parley/contracts/browser';

export class TypingIndicators {
  readonly #timers = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  readonly #onChange: (conversationId: string, userIds: string[]) => void;

  constructor(onChange: (conversationId: string, userIds: string[]) => void) {
    this.#onChange = onChange;
  }

  accept(notice: TypingNotice): void {
    const users = this.#timers.get(notice.conversationId) ?? new Map<string, ReturnType<typeof setTimeout>>();
    this.#timers.set(notice.conversationId, users);
    clearTimeout(users.get(notice.userId));
    if (notice.typing)
      users.set(
        notice.userId,
        setTimeout(() => this.#end(notice.conversationId, notice.userId), notice.expiresInMs),
      );
    else users.delete(notice.userId);
    this.#onChange(notice.conversationId, this.typing(notice.conversationId));
  }

  /** Who types in a conversation now. */
  typing(conversationId: string): string[] {
    return [...(this.#timers.get(conversationId)?.keys() ?? [])];
  }

  clear(): void {
    for (const users of this.#timers.values()) for (const timer of users.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #end(conversationId: string, userId: string): void {
    const users = this.#timers.get(conversationId);
    if (!users?.delete(userId)) return;
    this.#onChange(conversationId, this.typing(conversationId));
  }
}
