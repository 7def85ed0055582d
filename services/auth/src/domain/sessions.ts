/**
 * Sessions and their refresh-token families (one family per login). Every refresh rotates the
 * token; the previous one stays usable for a short grace window (a client that lost the answer,
 * or raced two refreshes, gets a sibling token instead of a logout). A rotated token presented
 * after the window is a stolen token being replayed: that family — and only that session — is
 * revoked, the user's other sessions live on. Rotation is a conditional single-document update
 * made under a per-session Redis lock (FerretDB does not make conditional updates atomic; see
 * store/redis-mutex.ts), so two racing refreshes cannot both take the same step.
 */
import { randomUUID } from 'node:crypto';
import type { AuditActor, EventEnvelope, TokenPair } from '@parley/contracts';
import { ProblemError, problems } from '@parley/kit';
import { outboxPush, withOutbox } from '@parley/outbox';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import { GroupInsert } from '../store/group-insert.ts';
import { withRedisLock } from '../store/redis-mutex.ts';
import type { SessionCache } from '../store/session-cache.ts';
import type { SessionDocument, TenantCollections, TenantStore, UserDocument } from '../store/tenant-store.ts';
import type { AccessTokenIssuer } from './access-tokens.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import type { NewDeviceNotices } from './new-device-notices.ts';
import { hashToken, newRefreshToken, sessionIdOf } from './refresh-tokens.ts';

export interface SessionPolicy {
  refreshTokenTtlSeconds: number;
  /** How long a new session's write may wait to share a database operation (store/group-insert.ts). */
  sessionWriteLingerMs: number;
  refreshReuseGraceSeconds: number;
  accessTokenTtlSeconds: number;
  clockToleranceSeconds: number;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  amr: string[];
  userAgent?: string;
  current: boolean;
}

const invalidRefresh = () =>
  new ProblemError(
    401,
    'invalid-refresh-token',
    'Invalid refresh token',
    'The refresh token is invalid, expired or revoked',
  );

export class Sessions {
  readonly #store: TenantStore;
  readonly #cache: SessionCache;
  readonly #tokens: AccessTokenIssuer;
  readonly #policy: SessionPolicy;
  readonly #redis: Redis;
  readonly #events: SecurityEvents;
  readonly #devices: NewDeviceNotices | undefined;

  constructor(
    store: TenantStore,
    cache: SessionCache,
    tokens: AccessTokenIssuer,
    policy: SessionPolicy,
    redis: Redis,
    events: SecurityEvents,
    /** New-device sign-in notices (absent: none are sent). */
    devices?: NewDeviceNotices,
  ) {
    this.#devices = devices;
    this.#events = events;
    this.#redis = redis;
    this.#store = store;
    this.#cache = cache;
    this.#tokens = tokens;
    this.#policy = policy;
  }

  readonly #groupInserts = new Map<string, GroupInsert<SessionDocument>>();

  /** New sessions of a tenant are inserted in groups (see store/group-insert.ts). */
  #inserts(c: TenantCollections): GroupInsert<SessionDocument> {
    let inserts = this.#groupInserts.get(c.tenant);
    if (!inserts) {
      inserts = new GroupInsert(c.sessions, { lingerMs: this.#policy.sessionWriteLingerMs });
      this.#groupInserts.set(c.tenant, inserts);
    }
    return inserts;
  }

  /** A new session (a new token family) for a user who just proved who they are. */
  async open(
    c: TenantCollections,
    user: Pick<UserDocument, '_id' | 'roles'>,
    amr: string[],
    context: RequestContext,
    events: EventEnvelope[] = [],
  ): Promise<TokenPair> {
    const now = new Date();
    const sessionId = randomUUID();
    const refreshToken = newRefreshToken(sessionId);
    const expiresAt = new Date(now.getTime() + this.#policy.refreshTokenTtlSeconds * 1000);
    const loginEvent = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.login-succeeded',
      outcome: 'success',
      actor: { type: 'user', id: user._id },
      resource: { type: 'session', id: sessionId },
      context,
      metadata: { amr },
    });
    const notice = await this.#devices?.noticeFor(c, user._id, sessionId, context);
    if (notice) events = [...events, notice];
    const document: SessionDocument = {
      _id: sessionId,
      userId: user._id,
      amr,
      createdAt: now,
      lastUsedAt: now,
      expiresAt,
      ...(context.userAgent ? { userAgent: context.userAgent.slice(0, 300) } : {}),
      refresh: { current: [hashToken(refreshToken)], previous: null, rotatedAt: now, generation: 0 },
    };
    // The signed tokens are made while the session is stored, and handed out only once both the
    // durable session and its Redis record are written. The Redis record follows the durable write
    // (never a record of a session Mongo lost); the sessions of one group commit resolve in the
    // same tick, so their SETs leave in one auto-pipelined write (AUTH_REDIS_OPTIONS).
    const stored = this.#inserts(c)
      .insert(withOutbox(document, [...events, loginEvent]))
      .then(() => this.#cache.put(c.tenant, sessionId, { userId: user._id, expiresAt: expiresAt.getTime() }));
    const [, pair] = await Promise.all([stored, this.#pair(c.tenant, user, document, refreshToken)]);
    return pair;
  }

  async refresh(tenant: string, refreshToken: string, context: RequestContext): Promise<TokenPair> {
    const sessionId = sessionIdOf(refreshToken);
    if (!sessionId) throw invalidRefresh();
    const c = await this.#store.forTenant(tenant);
    return this.#locked(tenant, sessionId, () => this.#refreshLocked(c, sessionId, refreshToken, context));
  }

  #locked<T>(tenant: string, sessionId: string, critical: () => Promise<T>): Promise<T> {
    return withRedisLock(this.#redis, redisKey(tenant, 'auth', 'lock', 'session', sessionId), critical);
  }

  async #refreshLocked(
    c: TenantCollections,
    sessionId: string,
    refreshToken: string,
    context: RequestContext,
  ): Promise<TokenPair> {
    const tenant = c.tenant;
    const hash = hashToken(refreshToken);
    let session = await c.sessions.findOne({ _id: sessionId });
    if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) throw invalidRefresh();
    if (await this.#cache.isRevoked(tenant, sessionId)) {
      // A revocation reached Redis but not Mongo (a crash in between): finish it.
      await this.#revokeLocked(c, session, 'revoked', { type: 'system', id: 'auth' }, context);
      throw invalidRefresh();
    }
    const user = await c.users.findOne({ _id: session.userId });
    if (user?.status !== 'active') {
      await this.#revokeLocked(c, session, 'user-inactive', { type: 'system', id: 'auth' }, context);
      throw invalidRefresh();
    }
    const next = newRefreshToken(sessionId);
    const now = new Date();

    if (session.refresh.current.includes(hash)) {
      const rotated = await c.sessions.updateOne(
        { _id: sessionId, 'refresh.current': hash, revokedAt: { $exists: false } },
        {
          $set: {
            'refresh.current': [hashToken(next)],
            'refresh.previous': hash,
            'refresh.rotatedAt': now,
            lastUsedAt: now,
          },
          $inc: { 'refresh.generation': 1 },
        },
      );
      if (rotated.modifiedCount === 1) return this.#pair(tenant, user, session, next);
      // Another refresh rotated it first: judge the token against what that left.
      session = await c.sessions.findOne({ _id: sessionId });
      if (!session || session.revokedAt) throw invalidRefresh();
    }

    const withinGrace =
      session.refresh.previous === hash &&
      now.getTime() - session.refresh.rotatedAt.getTime() <= this.#policy.refreshReuseGraceSeconds * 1000;
    if (withinGrace) {
      const sibling = await c.sessions.updateOne(
        { _id: sessionId, 'refresh.previous': hash, revokedAt: { $exists: false } },
        { $push: { 'refresh.current': hashToken(next) }, $set: { lastUsedAt: now } },
      );
      if (sibling.modifiedCount === 1) return this.#pair(tenant, user, session, next);
    }

    // A token of this family that is neither current nor in its grace window: replayed.
    const reuse = await this.#events.create({
      tenant,
      action: 'auth.security.refresh-token-reused',
      outcome: 'denied',
      actor: { type: 'anonymous', id: 'refresh-token-holder' },
      resource: { type: 'session', id: sessionId },
      subject: session.userId,
      context,
      metadata: { userId: session.userId, generation: session.refresh.generation },
    });
    await this.#revokeLocked(c, session, 'refresh-token-reuse', { type: 'system', id: 'auth' }, context, [
      reuse,
    ]);
    throw invalidRefresh();
  }

  /** Revokes one session everywhere: Redis set and channel first (auth-clients refuse it at once), then Mongo. */
  revoke(
    c: TenantCollections,
    session: Pick<SessionDocument, '_id' | 'userId'>,
    reason: string,
    actor: AuditActor,
    context: RequestContext,
    events: EventEnvelope[] = [],
  ): Promise<boolean> {
    return this.#locked(c.tenant, session._id, () =>
      this.#revokeLocked(c, session, reason, actor, context, events),
    );
  }

  async #revokeLocked(
    c: TenantCollections,
    session: Pick<SessionDocument, '_id' | 'userId'>,
    reason: string,
    actor: AuditActor,
    context: RequestContext,
    events: EventEnvelope[] = [],
  ): Promise<boolean> {
    const relevantUntil =
      Date.now() + (this.#policy.accessTokenTtlSeconds + this.#policy.clockToleranceSeconds * 2) * 1000;
    await this.#cache.revoke({
      tenant: c.tenant,
      sessionId: session._id,
      userId: session.userId,
      reason,
      relevantUntil,
    });
    const revoked = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.session-revoked',
      outcome: 'success',
      actor,
      resource: { type: 'session', id: session._id },
      subject: session.userId,
      context,
      metadata: { reason, userId: session.userId },
    });
    const result = await c.sessions.updateOne(
      { _id: session._id, revokedAt: { $exists: false } },
      outboxPush([...events, revoked], { $set: { revokedAt: new Date(), revokedReason: reason } }),
    );
    return result.modifiedCount === 1;
  }

  /** Revokes every live session of a user (admin action, suspension, password change). */
  async revokeAll(
    c: TenantCollections,
    userId: string,
    reason: string,
    actor: AuditActor,
    context: RequestContext,
    exceptSessionId?: string,
  ): Promise<number> {
    const live = await c.sessions
      .find({ userId, revokedAt: { $exists: false } }, { projection: { _id: 1, userId: 1 } })
      .toArray();
    let count = 0;
    for (const session of live) {
      if (session._id === exceptSessionId) continue;
      if (await this.revoke(c, session, reason, actor, context)) count += 1;
    }
    return count;
  }

  async list(c: TenantCollections, userId: string, currentSessionId: string): Promise<SessionView[]> {
    const sessions = await c.sessions
      .find({ userId, revokedAt: { $exists: false }, expiresAt: { $gt: new Date() } })
      .sort({ createdAt: -1 })
      .limit(100)
      .toArray();
    return sessions.map((s) => ({
      id: s._id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      amr: s.amr,
      ...(s.userAgent ? { userAgent: s.userAgent } : {}),
      current: s._id === currentSessionId,
    }));
  }

  async findLive(c: TenantCollections, sessionId: string, userId: string): Promise<SessionDocument> {
    const session = await c.sessions.findOne({ _id: sessionId, userId, revokedAt: { $exists: false } });
    if (!session) throw problems.notFound('No such session');
    return session;
  }

  async #pair(
    tenant: string,
    user: Pick<UserDocument, '_id' | 'roles'>,
    session: SessionDocument,
    refreshToken: string,
  ): Promise<TokenPair> {
    const accessToken = await this.#tokens.issue({
      tenant,
      userId: user._id,
      sessionId: session._id,
      roles: user.roles,
      amr: session.amr,
    });
    return {
      tokenType: 'Bearer',
      accessToken,
      expiresIn: this.#tokens.ttlSeconds,
      refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)),
      sessionId: session._id,
    };
  }
}
