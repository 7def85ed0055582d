import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, parseEvent } from '../event-envelope.ts';
import { GdprErasureRequested, GdprParticipantReported } from './gdpr.ts';

describe('gdpr events', () => {
  it('carries requests and reports, never free-form data', () => {
    const jobId = randomUUID();
    const request = createEvent(GdprErasureRequested, {
      tenant: 'acme',
      source: 'compliance',
      payload: {
        jobId,
        userId: 'u-1',
        participants: ['auth', 'compliance'],
        requestedAt: new Date().toISOString(),
      },
    });
    expect(request.type).toBe('gdpr.erasure.requested.v1');
    const report = createEvent(GdprParticipantReported, {
      tenant: 'acme',
      source: 'auth',
      payload: { jobId, kind: 'erasure', participant: 'auth', status: 'done', counts: { users: 1 } },
    });
    expect(parseEvent(GdprParticipantReported, JSON.parse(JSON.stringify(report))).payload.counts).toEqual({
      users: 1,
    });
    expect(() =>
      parseEvent(GdprParticipantReported, {
        ...report,
        payload: { ...report.payload, data: { email: 'x@example.com' } },
      }),
    ).toThrow(/payload/);
    expect(() =>
      parseEvent(GdprParticipantReported, {
        ...report,
        payload: { ...report.payload, participant: 'Auth Service' },
      }),
    ).toThrow(/payload/);
  });
});
