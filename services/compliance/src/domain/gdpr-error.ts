/** What a GDPR request can fail with; compliance-problems.ts maps each code to a problem type. */
export class GdprError extends Error {
  readonly code: 'not-found' | 'conflict' | 'invalid' | 'gone';
  constructor(code: GdprError['code'], message: string) {
    super(message);
    this.name = 'GdprError';
    this.code = code;
  }
}
