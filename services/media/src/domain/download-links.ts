/**
 * Signed download links, for where a browser needs a plain URL (an <img>, a <video> with ranges,
 * a download the browser manages) and cannot send the user's bearer token.
 *
 * A link's token is `v1.<claims>.<mac>`: the claims are base64url JSON
 * `{ t: tenant, u: userId, r: roles, m: mediaId, exp: unix seconds }`, the mac is base64url
 * HMAC-SHA256 over `v1.<claims>` under MEDIA_LINK_SECRET. It is bound to one tenant, one user and
 * one upload and lives a short time (MEDIA_LINK_TTL_S); it carries no authority of its own beyond
 * naming that user: every download through it asks messaging again whether the user is still a
 * member of the upload's conversation, so removing someone revokes their links at once.
 *
 * The token travels in the query string (`?token=`), not the path: Fastify's maxParamLength
 * (100) would cut a path parameter this long, and raising it for one route gains nothing.
 * Verification compares the mac in constant time and checks the shape before trusting any claim.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MediaIdSchema, MessagingUserIdSchema } from '@parley/contracts';
import { isTenantId } from '@parley/tenancy';
import { Compile } from 'typebox/compile';
import type { ActingUser } from './membership.ts';

const VERSION = 'v1';
const userIdCheck = Compile(MessagingUserIdSchema);
const mediaIdCheck = Compile(MediaIdSchema);
const ROLE = /^[a-z-]{1,40}$/;

export interface LinkClaims {
  tenant: string;
  userId: string;
  roles: readonly string[];
  mediaId: string;
  /** Unix seconds. */
  expiresAt: number;
}

export type LinkRefusal = 'malformed' | 'bad-signature' | 'expired';

export class DownloadLinks {
  readonly #secret: Buffer;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: { secret: string; ttlSeconds: number; now?: () => number }) {
    if (options.secret.length < 32) throw new Error('MEDIA_LINK_SECRET must have at least 32 characters');
    this.#secret = Buffer.from(options.secret, 'utf8');
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now ?? Date.now;
  }

  sign(user: ActingUser, mediaId: string): { token: string; expiresAt: Date } {
    const expiresAt = Math.floor(this.#now() / 1000) + this.#ttlSeconds;
    const claims = Buffer.from(
      JSON.stringify({ t: user.tenant, u: user.userId, r: user.roles, m: mediaId, exp: expiresAt }),
    ).toString('base64url');
    const signed = `${VERSION}.${claims}`;
    return { token: `${signed}.${this.#mac(signed)}`, expiresAt: new Date(expiresAt * 1000) };
  }

  verify(token: string): LinkClaims | LinkRefusal {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) return 'malformed';
    const [, claims, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.#mac(`${VERSION}.${claims}`), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    } catch {
      return 'malformed';
    }
    const c = parsed as { t?: unknown; u?: unknown; r?: unknown; m?: unknown; exp?: unknown };
    if (
      !isTenantId(c.t) ||
      !userIdCheck.Check(c.u) ||
      !mediaIdCheck.Check(c.m) ||
      !Array.isArray(c.r) ||
      c.r.length > 10 ||
      !c.r.every((role) => typeof role === 'string' && ROLE.test(role)) ||
      typeof c.exp !== 'number'
    )
      return 'malformed';
    if (c.exp * 1000 <= this.#now()) return 'expired';
    return {
      tenant: c.t,
      userId: c.u as string,
      roles: c.r as string[],
      mediaId: c.m as string,
      expiresAt: c.exp,
    };
  }

  #mac(signed: string): string {
    return createHmac('sha256', this.#secret).update(signed).digest('base64url');
  }
}
