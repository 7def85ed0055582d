/**
 * The secrets integrations hands out (bot tokens, incoming-webhook URL secrets) and how they are
 * kept: only a SHA-256 digest is stored, compared in constant time. A slow password hash is not
 * needed: each secret is 32 random bytes, so the digest cannot be searched backwards, and every
 * bot call can afford to check it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BOT_TOKEN_PREFIX } from '@parley/contracts';
import { isTenantId } from '@parley/tenancy';

/** An id of the contracts' IntegrationIdSchema shape (20 hex characters). */
export const newIntegrationId = (): string => randomBytes(10).toString('hex');

export const newSecret = (): string => randomBytes(32).toString('hex');

export const digestOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function sameDigest(secret: string, digest: string): boolean {
  const presented = Buffer.from(digestOf(secret), 'hex');
  const kept = Buffer.from(digest, 'hex');
  return presented.length === kept.length && timingSafeEqual(presented, kept);
}

/**
 * A bot token: `pbt_<tenant>_<tokenId>_<secret>`. The tenant is readable so the gateway knows
 * whose integrations service database to ask; it grants nothing (a token rewritten to name
 * another tenant finds no such token id there).
 */
export function formatBotToken(tenant: string, tokenId: string, secret: string): string {
  return `${BOT_TOKEN_PREFIX}${tenant}_${tokenId}_${secret}`;
}

export interface ParsedBotToken {
  tenant: string;
  tokenId: string;
  secret: string;
}

const TOKEN_PATTERN = /^([a-z0-9-]{1,32})_([a-f0-9]{20})_([a-f0-9]{64})$/;

export function parseBotToken(token: string): ParsedBotToken | undefined {
  if (!token.startsWith(BOT_TOKEN_PREFIX)) return undefined;
  const match = TOKEN_PATTERN.exec(token.slice(BOT_TOKEN_PREFIX.length));
  if (!match) return undefined;
  const [, tenant, tokenId, secret] = match as unknown as [string, string, string, string];
  return isTenantId(tenant) ? { tenant, tokenId, secret } : undefined;
}
