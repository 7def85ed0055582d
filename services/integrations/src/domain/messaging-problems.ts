/**
 * What messaging answered, handed on as this service's problem: its 4xx as they came (a bot not
 * in the conversation gets messaging's 404, a closed conversation its 409), and anything that
 * kept messaging from answering as a 503 (the caller may retry), never a 500.
 */
import { PROBLEM_BASE, ProblemError, problems } from '@parley/kit';
import { MessagingServiceError } from '@parley/messaging-client';

export function messagingProblem(error: unknown): unknown {
  if (!(error instanceof MessagingServiceError)) return error;
  if (error.status >= 400 && error.status < 500) {
    const slug = error.type.startsWith(PROBLEM_BASE)
      ? error.type.slice(PROBLEM_BASE.length)
      : 'messaging-refused';
    return new ProblemError(error.status, slug, error.title, error.detail ?? error.title);
  }
  return problems.unavailable('Messaging is unavailable right now; try again shortly');
}

/** Runs a call to messaging, its failure as messagingProblem says. */
export async function throughMessaging<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw messagingProblem(error);
  }
}
