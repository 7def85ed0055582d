/**
 * The read side of a GDPR job: folds the job document, its rounds, the current round's reports
 * and its settlement (each owned by one writer, see gdpr-collections.ts) into the one view
 * callers see.
 */
import type { MongoClient } from 'mongodb';
import {
  type GdprJob,
  type GdprJobDocument,
  gdprCollections,
  type ParticipantState,
} from '../store/gdpr-collections.ts';

export async function foldGdprJob(
  client: MongoClient,
  tenant: string,
  doc: GdprJobDocument,
): Promise<GdprJob> {
  const c = gdprCollections(client, tenant);
  const base = {
    _id: doc._id,
    kind: doc.kind,
    userId: doc.userId,
    requestedBy: doc.requestedBy,
    requestedAt: doc.requestedAt,
    ...(doc.rectification ? { rectification: doc.rectification } : {}),
  };
  if (doc.kind === 'rectification') {
    const at = doc.completedAt ?? doc.requestedAt;
    return {
      ...base,
      status: 'completed',
      updatedAt: at,
      completedAt: at,
      round: 0,
      participants: Object.fromEntries(
        doc.participants.map((p) => [p, { status: 'done' as const, reportedAt: at }]),
      ),
    };
  }
  // The latest round: probed by _id (answered from the index everywhere), rounds are few.
  let round = 0;
  let participants = doc.participants;
  let startedAt = doc.requestedAt;
  for (let next = 1; ; next += 1) {
    const r = await c.rounds.findOne({ _id: `${doc._id}:r${next}` });
    if (!r) break;
    round = r.round;
    participants = r.participants;
    startedAt = r.startedAt;
  }
  const states: Record<string, ParticipantState> = {};
  let updatedAt = startedAt;
  for (const name of participants) {
    const report = await c.reports.findOne({ _id: `${doc._id}:r${round}:${name}` });
    if (report) {
      const { _id, jobId: _j, round: _r, participant: _p, ...state } = report;
      states[name] = state;
      if (state.reportedAt && state.reportedAt > updatedAt) updatedAt = state.reportedAt;
    } else {
      states[name] = { status: 'pending' };
    }
  }
  const settled = await c.settlements.findOne({ _id: `${doc._id}:r${round}` });
  const blockedAtRequest = round === 0 && doc.blocked;
  const status: GdprJob['status'] = settled?.status ?? (blockedAtRequest ? 'blocked' : 'in-progress');
  return {
    ...base,
    status,
    updatedAt: settled?.settledAt ?? updatedAt,
    ...(settled?.status === 'completed' ? { completedAt: settled.settledAt } : {}),
    round,
    participants: states,
    ...(blockedAtRequest && doc.blocked
      ? { holdIds: doc.blocked.holdIds, exemption: doc.blocked.exemption }
      : {}),
    ...(settled?.receipt ? { receipt: settled.receipt } : {}),
  };
}

/** The status a round settles on once its reports allow, or undefined while one is pending. */
export function settledStatus(states: ParticipantState[]): 'completed' | 'failed' | 'blocked' | undefined {
  if (states.every((s) => s.status === 'done')) return 'completed';
  if (states.some((s) => s.status === 'pending')) return undefined;
  if (states.some((s) => s.status === 'blocked')) return 'blocked';
  return 'failed';
}
