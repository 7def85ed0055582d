/** The problems messaging answers (packages/contracts/src/http/messaging.ts lists them for clients). */
import { ProblemError, problems } from '@parley/kit';

export const messagingProblems = {
  /** Also for what the caller may not see: ids of others' conversations leak nothing. */
  conversationNotFound: () => problems.notFound('No such conversation'),
  messageNotFound: () => problems.notFound('No such message'),
  notAllowed: (detail: string) => problems.forbidden(detail),
  archived: () =>
    new ProblemError(403, 'conversation-archived', 'Conversation archived', 'This conversation is archived'),
  conflict: (detail: string) => problems.conflict(detail),
  badRequest: (detail: string) => problems.badRequest(detail),
};
