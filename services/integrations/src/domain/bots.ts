/**
 * Bot users and their tokens, in the tenant's own database (`parley_<tenant>`: one tenant's bots
 * are never in another's collections). A bot is a user id of its own (`bot.<id>`), so messaging's
 * membership decides where it reaches; a token names a subset of the bot's scopes and expires.
 * Only the token's digest is stored: the token itself is in the creation's answer and nowhere else.
 */
import {
  BOT_SCOPES,
  type Bot,
  type BotCaller,
  type BotScope,
  type BotToken,
  type BotTokenCreated,
  type CreateBotBody,
  type CreateBotTokenBody,
} from '@parley/contracts';
import { ProblemError, problems } from '@parley/kit';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import {
  digestOf,
  formatBotToken,
  newIntegrationId,
  newSecret,
  parseBotToken,
  sameDigest,
} from './secrets.ts';

export const BOTS_COLLECTION = 'integration_bots';
export const BOT_TOKENS_COLLECTION = 'integration_bot_tokens';
const DAY_MS = 86_400_000;

interface BotDocument {
  _id: string;
  name: string;
  description?: string;
  scopes: BotScope[];
  createdAt: Date;
  createdBy: string;
  /** Bots made for an incoming webhook are managed with it, not on their own. */
  webhookId?: string;
}

interface BotTokenDocument {
  _id: string;
  botId: string;
  digest: string;
  scopes: BotScope[];
  createdAt: Date;
  createdBy: string;
  expiresAt: Date;
  revokedAt?: Date;
}

export const botUserId = (botId: string): string => `bot.${botId}`;

export const unknownBot = (): ProblemError =>
  new ProblemError(404, 'unknown-bot', 'Unknown bot', 'This tenant has no such bot');

/** 401 for every token that does not work, without saying why (unknown, wrong, revoked, expired). */
export const invalidBotToken = (): ProblemError =>
  problems.unauthorized('The bot token is invalid or expired');

export class Bots {
  readonly #mongo: MongoClient;

  constructor(mongo: MongoClient) {
    this.#mongo = mongo;
  }

  #bots(tenant: string): Collection<BotDocument> {
    return this.#mongo.db(mongoDatabaseName(tenant)).collection<BotDocument>(BOTS_COLLECTION);
  }

  #tokens(tenant: string): Collection<BotTokenDocument> {
    return this.#mongo.db(mongoDatabaseName(tenant)).collection<BotTokenDocument>(BOT_TOKENS_COLLECTION);
  }

  async create(
    tenant: string,
    createdBy: string,
    body: CreateBotBody,
    options: { webhookId?: string } = {},
  ): Promise<Bot> {
    const doc: BotDocument = {
      _id: newIntegrationId(),
      name: body.name,
      ...(body.description ? { description: body.description } : {}),
      scopes: [...body.scopes],
      createdAt: new Date(),
      createdBy,
      ...(options.webhookId ? { webhookId: options.webhookId } : {}),
    };
    await this.#bots(tenant).insertOne(doc);
    return botView(doc);
  }

  /** The tenant's bots (those of incoming webhooks are listed with the webhooks). */
  async list(tenant: string): Promise<Bot[]> {
    const docs = await this.#bots(tenant)
      .find({ webhookId: { $exists: false } })
      .sort({ createdAt: 1 })
      .limit(1000)
      .toArray();
    return docs.map(botView);
  }

  async get(tenant: string, botId: string): Promise<Bot> {
    const doc = await this.#bots(tenant).findOne({ _id: botId });
    if (!doc) throw unknownBot();
    return botView(doc);
  }

  /** The bot and every token of it: a deleted bot's token stops working at once. */
  async delete(tenant: string, botId: string): Promise<void> {
    const removed = await this.#bots(tenant).deleteOne({ _id: botId });
    await this.#tokens(tenant).deleteMany({ botId });
    if (removed.deletedCount === 0) throw unknownBot();
  }

  async createToken(
    tenant: string,
    botId: string,
    createdBy: string,
    body: CreateBotTokenBody,
  ): Promise<BotTokenCreated> {
    const bot = await this.get(tenant, botId);
    const scopes = body.scopes ?? bot.scopes;
    const beyond = scopes.filter((scope) => !bot.scopes.includes(scope));
    if (beyond.length > 0)
      throw problems.badRequest(
        `The bot does not hold the scopes ${beyond.join(', ')}; a token names a subset`,
      );
    const secret = newSecret();
    const now = new Date();
    const doc: BotTokenDocument = {
      _id: newIntegrationId(),
      botId,
      digest: digestOf(secret),
      scopes: [...scopes],
      createdAt: now,
      createdBy,
      expiresAt: new Date(now.getTime() + (body.expiresInDays ?? 90) * DAY_MS),
    };
    await this.#tokens(tenant).insertOne(doc);
    return { ...tokenView(doc), token: formatBotToken(tenant, doc._id, secret) };
  }

  async listTokens(tenant: string, botId: string): Promise<BotToken[]> {
    await this.get(tenant, botId);
    const docs = await this.#tokens(tenant).find({ botId }).sort({ createdAt: 1 }).limit(1000).toArray();
    return docs.map(tokenView);
  }

  async revokeToken(tenant: string, botId: string, tokenId: string): Promise<void> {
    const updated = await this.#tokens(tenant).updateOne(
      { _id: tokenId, botId },
      { $set: { revokedAt: new Date() } },
    );
    if (updated.matchedCount === 0)
      throw new ProblemError(404, 'unknown-token', 'Unknown token', 'This bot has no such token');
  }

  /**
   * The caller a token stands for, in `tenant` (the path's, which the gateway took from the
   * token): a token of another tenant, or rewritten to name this one, is unknown here.
   */
  async resolve(tenant: string, token: string): Promise<BotCaller> {
    const parsed = parseBotToken(token);
    if (!parsed || parsed.tenant !== tenant) throw invalidBotToken();
    const doc = await this.#tokens(tenant).findOne({ _id: parsed.tokenId });
    if (!doc || !sameDigest(parsed.secret, doc.digest)) throw invalidBotToken();
    if (doc.revokedAt || doc.expiresAt.getTime() <= Date.now()) throw invalidBotToken();
    const bot = await this.#bots(tenant).findOne({ _id: doc.botId });
    if (!bot) throw invalidBotToken();
    // Scopes taken from the bot since the token was made are gone from the token too.
    const scopes = doc.scopes.filter((scope) => bot.scopes.includes(scope));
    return { tenant, botId: bot._id, userId: botUserId(bot._id), scopes };
  }
}

export function requireScope(caller: BotCaller, scope: BotScope): void {
  if (!caller.scopes.includes(scope))
    throw new ProblemError(
      403,
      'insufficient-scope',
      'Insufficient scope',
      `This token lacks the scope ${scope} (of ${BOT_SCOPES.join(', ')})`,
    );
}

function botView(doc: BotDocument): Bot {
  return {
    id: doc._id,
    userId: botUserId(doc._id),
    name: doc.name,
    ...(doc.description ? { description: doc.description } : {}),
    scopes: doc.scopes,
    createdAt: doc.createdAt.toISOString(),
    createdBy: doc.createdBy,
  };
}

function tokenView(doc: BotTokenDocument): BotToken {
  return {
    id: doc._id,
    botId: doc.botId,
    scopes: doc.scopes,
    createdAt: doc.createdAt.toISOString(),
    createdBy: doc.createdBy,
    expiresAt: doc.expiresAt.toISOString(),
    ...(doc.revokedAt ? { revokedAt: doc.revokedAt.toISOString() } : {}),
  };
}
