/**
 * A tenant's SCIM bearer tokens: made by a tenant admin, shown once, kept only as SHA-256 (256
 * random bits need no slow hash), looked up in the database of the tenant the request's path
 * names, so a token of tenant A is unknown in tenant B whatever it says. Issue and revocation are
 * audited. A list shows each token's prefix, creation and last use, never the token.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ProblemError } from '@parley/kit';
import type { TenantCollections } from '../store/tenant-store.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import { recordSecurityEvents } from './security-log.ts';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
/** `scim_` and 6 of the token's 43 random characters: enough to tell tokens apart, too few to guess the rest (36 bits of 256 shown). */
const PREFIX_LENGTH = 'scim_'.length + 6;
/** lastUsedAt is written at most once in this long per token. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** A token as a tenant admin sees it in a list: never the token, nor its hash. */
export interface ScimTokenSummary {
  id: string;
  prefix?: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt?: string;
}

export const scimUnauthorized = () =>
  new ProblemError(
    401,
    'scim-unauthorized',
    'Unauthorized',
    'A valid SCIM bearer token of this tenant is needed',
  );

export class ScimTokens {
  readonly #events: SecurityEvents;

  constructor(events: SecurityEvents) {
    this.#events = events;
  }

  async issue(
    c: TenantCollections,
    adminId: string,
    context: RequestContext,
  ): Promise<{ id: string; token: string; prefix: string; createdAt: string }> {
    const id = randomUUID();
    const token = `scim_${randomBytes(32).toString('base64url')}`;
    const createdAt = new Date();
    await recordSecurityEvents(c, [
      await this.#events.create({
        tenant: c.tenant,
        action: 'auth.security.scim-token-issued',
        outcome: 'success',
        actor: { type: 'user', id: adminId },
        resource: { type: 'scim-token', id },
        context,
      }),
    ]);
    const prefix = token.slice(0, PREFIX_LENGTH);
    await c.scimTokens.insertOne({ _id: id, tokenHash: hash(token), prefix, createdBy: adminId, createdAt });
    return { id, token, prefix, createdAt: createdAt.toISOString() };
  }

  /** The tenant's tokens, newest first (revoked ones are gone: revoking deletes). */
  async list(c: TenantCollections): Promise<ScimTokenSummary[]> {
    const found = await c.scimTokens.find({}, { projection: { tokenHash: 0 } }).toArray();
    return found
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((t) => ({
        id: t._id,
        ...(t.prefix ? { prefix: t.prefix } : {}),
        createdAt: t.createdAt.toISOString(),
        createdBy: t.createdBy,
        ...(t.lastUsedAt ? { lastUsedAt: t.lastUsedAt.toISOString() } : {}),
      }));
  }

  async revoke(c: TenantCollections, id: string, adminId: string, context: RequestContext): Promise<boolean> {
    const removed = await c.scimTokens.deleteOne({ _id: id });
    if (removed.deletedCount === 0) return false;
    await recordSecurityEvents(c, [
      await this.#events.create({
        tenant: c.tenant,
        action: 'auth.security.scim-token-revoked',
        outcome: 'success',
        actor: { type: 'user', id: adminId },
        resource: { type: 'scim-token', id },
        context,
      }),
    ]);
    return true;
  }

  /** The token's id, or 401 (audited) when the header holds no token of this tenant. */
  async authenticate(
    c: TenantCollections,
    authorization: string | undefined,
    context: RequestContext,
  ): Promise<string> {
    const match = /^Bearer ([A-Za-z0-9_\-.~+/]{16,200}=*)$/.exec(authorization ?? '');
    const found = match?.[1] ? await c.scimTokens.findOne({ tokenHash: hash(match[1]) }) : null;
    if (found) {
      const now = new Date();
      if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS)
        await c.scimTokens.updateOne(
          {
            _id: found._id,
            $or: [
              { lastUsedAt: { $exists: false } },
              { lastUsedAt: { $lt: new Date(now.getTime() - LAST_USED_GRANULARITY_MS) } },
            ],
          },
          { $set: { lastUsedAt: now } },
        );
      return found._id;
    }
    await recordSecurityEvents(c, [
      await this.#events.create({
        tenant: c.tenant,
        action: 'auth.security.scim-request-refused',
        outcome: 'denied',
        actor: { type: 'anonymous', id: 'scim-client' },
        resource: { type: 'scim' },
        context,
        metadata: { reason: match ? 'unknown-token' : 'no-token' },
      }),
    ]);
    throw scimUnauthorized();
  }
}
