/**
 * Opaque refresh tokens: `<session id>.<256 random bits>`. The session id lets the store find the
 * family in one read; only a SHA-256 of the token is stored (the token has full entropy, so a
 * slow hash would add nothing).
 */
import { createHash, randomBytes } from 'node:crypto';

export function newRefreshToken(sessionId: string): string {
  return `${sessionId}.${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sessionIdOf(refreshToken: string): string | undefined {
  const match = /^([0-9a-f-]{36})\.[A-Za-z0-9_-]{43}$/.exec(refreshToken);
  return match?.[1];
}
