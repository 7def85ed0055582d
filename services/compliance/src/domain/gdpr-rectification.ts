/**
 * A rectification as a completed GDPR job. The record proves what changed without keeping the
 * personal data itself: the values before and after are stored only as salted SHA-256 digests.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { RectificationBody } from '@parley/contracts';
import type { GdprJobDocument } from '../store/gdpr-collections.ts';

export function rectificationJob(input: RectificationBody, at: string): GdprJobDocument {
  const salt = randomBytes(16).toString('hex');
  const digest = (value: string) => createHash('sha256').update(salt).update(value).digest('hex');
  return {
    _id: randomUUID(),
    kind: 'rectification',
    userId: input.userId,
    requestedBy: input.requestedBy,
    requestedAt: at,
    completedAt: at,
    participants: [input.participant],
    rectification: {
      participant: input.participant,
      field: input.field,
      salt,
      beforeHash: digest(input.before),
      afterHash: digest(input.after),
    },
  };
}
