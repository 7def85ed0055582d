/** What counts as "never sent": only connection errors raised before a request could be written. */
import { describe, expect, it } from 'vitest';
import { failedBeforeSending, isIdempotentMethod } from './retry-safety.ts';

const fetchFailure = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });

describe('retry safety', () => {
  it('knows the idempotent methods', () => {
    expect(['GET', 'put', 'DELETE', 'HEAD'].every(isIdempotentMethod)).toBe(true);
    expect(['POST', 'PATCH'].some(isIdempotentMethod)).toBe(false);
  });

  it('a refused or never-made connection was never sent', () => {
    expect(failedBeforeSending(fetchFailure({ code: 'ECONNREFUSED' }))).toBe(true);
    expect(failedBeforeSending(fetchFailure({ code: 'ENOTFOUND' }))).toBe(true);
    const both = Object.assign(new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }]), {
      code: 'ECONNREFUSED',
    });
    expect(failedBeforeSending(fetchFailure(both))).toBe(true);
  });

  it('a reset, a socket error or an unknown failure may have been sent', () => {
    expect(failedBeforeSending(fetchFailure({ code: 'ECONNRESET' }))).toBe(false);
    expect(failedBeforeSending(fetchFailure({ code: 'UND_ERR_SOCKET' }))).toBe(false);
    expect(failedBeforeSending(new Error('something else'))).toBe(false);
    const mixed = new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ECONNRESET' }]);
    expect(failedBeforeSending(fetchFailure(mixed))).toBe(false);
  });
});
