import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, parseEvent } from '../event-envelope.ts';
import { AuditRecordSubmitted } from './audit.ts';

const record = {
  id: randomUUID(),
  occurredAt: new Date().toISOString(),
  actor: { type: 'user' as const, id: 'u-1' },
  action: 'auth.login.succeeded',
  resource: { type: 'session', id: 's-1' },
  outcome: 'success' as const,
  metadata: { mfa: true },
  personal: [{ subject: 'u-1', fields: { ip: '10.0.0.1', email: 'a@example.com' } }],
};

describe('audit.record.submitted.v1', () => {
  it('accepts a record with personal fields marked per subject', () => {
    const event = createEvent(AuditRecordSubmitted, { tenant: 'acme', source: 'auth', payload: record });
    expect(parseEvent(AuditRecordSubmitted, JSON.parse(JSON.stringify(event))).payload).toEqual(record);
  });

  it('refuses nested metadata, unknown fields and bad actions', () => {
    const base = createEvent(AuditRecordSubmitted, { tenant: 'acme', source: 'auth', payload: record });
    expect(() =>
      parseEvent(AuditRecordSubmitted, { ...base, payload: { ...record, metadata: { a: { b: 1 } } } }),
    ).toThrow(/payload/);
    expect(() => parseEvent(AuditRecordSubmitted, { ...base, payload: { ...record, extra: 1 } })).toThrow(
      /payload/,
    );
    expect(() =>
      parseEvent(AuditRecordSubmitted, { ...base, payload: { ...record, action: 'Login' } }),
    ).toThrow(/payload/);
  });
});

describe('sealed personal fields', () => {
  it('accepts fields sealed under the subject key and refuses a malformed seal', () => {
    const sealed = {
      ...record,
      personal: [{ subject: 'u-1', keyName: 'subject:u-1', ciphertext: 'AQIDBA==' }],
    };
    const event = createEvent(AuditRecordSubmitted, { tenant: 'acme', source: 'auth', payload: sealed });
    expect(event.payload.personal).toEqual(sealed.personal);
    const base = createEvent(AuditRecordSubmitted, { tenant: 'acme', source: 'auth', payload: record });
    for (const personal of [
      [{ subject: 'u-1', keyName: 'default', ciphertext: 'AQIDBA==' }],
      [{ subject: 'u-1', keyName: 'subject:u-1', ciphertext: 'not base64!' }],
      [{ subject: 'u 1', fields: { email: 'x' } }],
    ]) {
      expect(() => parseEvent(AuditRecordSubmitted, { ...base, payload: { ...record, personal } })).toThrow(
        /payload/,
      );
    }
  });
});
