/** A sentence for a person from an RFC 9457 problem (or from a failed fetch). */
export function describeProblem(error: unknown, fallback = 'Something went wrong. Try again.'): string {
  if (error && typeof error === 'object') {
    const problem = error as { detail?: unknown; title?: unknown };
    if (typeof problem.detail === 'string' && problem.detail) return problem.detail;
    if (typeof problem.title === 'string' && problem.title) return problem.title;
  }
  if (error instanceof TypeError) return 'The server cannot be reached. Check your connection.';
  return fallback;
}
