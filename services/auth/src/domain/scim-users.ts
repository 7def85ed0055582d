/**
 * SCIM 2.0 Users (RFC 7643 section 4.1, RFC 7644) over auth's users: an HR directory creates,
 * reads, filters (`userName eq "..."`), patches and deletes the tenant's people. `userName` is the
 * e-mail (the only identity auth has); a provisioned user has no password and signs in by single
 * sign-on (or sets one by reset). `active: false` suspends the user, which revokes every session at
 * once (Accounts.update, the same path as an admin's suspension); DELETE is the admin's deletion
 * (anonymised tombstone, refused under a legal hold).
 */
import { createHash } from 'node:crypto';
import type { AuditActor } from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import type { Collection, Filter } from 'mongodb';
import { normaliseEmail, type TenantCollections, type UserDocument } from '../store/tenant-store.ts';
import type { Accounts } from './accounts.ts';
import type { RequestContext } from './audit-records.ts';
import type { UserDeletion } from './user-deletion.ts';

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A SCIM error (RFC 7644 section 3.12): the routes render it in SCIM's own error shape. */
export class ScimError extends ProblemError {
  readonly scimType: string | undefined;
  constructor(status: number, scimType: string | undefined, detail: string) {
    super(status, scimType ?? 'scim-error', 'SCIM request refused', detail);
    this.scimType = scimType;
  }
}

/**
 * A resource's version (RFC 7643 §3.1 `meta.version`, the ETag of RFC 7644 §3.14): a weak tag
 * over everything the resource shows, so it changes exactly when its representation does.
 */
export function withVersion<R extends { meta: Record<string, string> }>(
  resource: R,
): R & {
  meta: R['meta'] & { version: string };
} {
  const digest = createHash('sha256').update(JSON.stringify(resource)).digest('base64url').slice(0, 22);
  return { ...resource, meta: { ...resource.meta, version: `W/"${digest}"` } };
}

/** The opaque part of an entity tag (weak comparison, RFC 9110 §8.8.3.2: W/ is ignored). */
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/**
 * If-Match (RFC 7644 §3.14, RFC 9110 §13.1.1): absent or `*` lets the change through; otherwise
 * one of the listed tags must be the resource's current version, or the change is refused with
 * 412 Precondition Failed and the client must read the resource again.
 */
export function assertIfMatch(ifMatch: string | undefined, current: string): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const tags = ifMatch.split(',').map(opaque);
  if (!tags.includes(opaque(current)))
    throw new ScimError(
      412,
      undefined,
      `The resource has changed: its version is now ${current} (If-Match named ${ifMatch.trim()}); read it again`,
    );
}

/** If-None-Match on a read: true when the client's copy is current (answer 304). */
export function notModified(ifNoneMatch: string | undefined, current: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').map(opaque).includes(opaque(current));
}

/** A precondition a change carries (the If-Match header, as the client sent it). */
export interface ScimPrecondition {
  ifMatch?: string;
}

export const SCIM_ACTOR: AuditActor = { type: 'service', id: 'scim' };

export interface ScimUserInput {
  schemas: string[];
  userName: string;
  externalId?: string;
  displayName?: string;
  name?: { formatted?: string; givenName?: string; familyName?: string };
  emails?: { value: string; primary?: boolean }[];
  active?: boolean;
}

export interface ScimPatch {
  schemas: string[];
  Operations: { op: string; path?: string; value?: unknown }[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function scimUser(user: UserDocument) {
  return withVersion({
    schemas: [SCIM_USER_SCHEMA],
    id: user._id,
    ...(user.scimExternalId ? { externalId: user.scimExternalId } : {}),
    userName: user.email,
    displayName: user.displayName,
    name: { formatted: user.displayName },
    emails: [{ value: user.email, primary: true }],
    active: user.status === 'active',
    meta: {
      resourceType: 'User',
      created: user.createdAt.toISOString(),
      lastModified: user.updatedAt.toISOString(),
    },
  });
}

function displayNameOf(input: Pick<ScimUserInput, 'displayName' | 'name' | 'userName'>): string {
  const fromParts = [input.name?.givenName, input.name?.familyName].filter(Boolean).join(' ');
  const name = input.displayName ?? input.name?.formatted ?? (fromParts || input.userName.split('@')[0]);
  return (name ?? input.userName).trim().slice(0, 100) || input.userName;
}

export class ScimUsers {
  readonly #accounts: Accounts;
  readonly #deletion: UserDeletion;

  constructor(accounts: Accounts, deletion: UserDeletion) {
    this.#accounts = accounts;
    this.#deletion = deletion;
  }

  async create(c: TenantCollections, input: ScimUserInput, context: RequestContext) {
    if (!input.schemas.includes(SCIM_USER_SCHEMA))
      throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCIM_USER_SCHEMA}`);
    if (!EMAIL.test(input.userName))
      throw new ScimError(400, 'invalidValue', 'userName must be an e-mail address');
    const existing = await c.users.findOne({ emailKey: normaliseEmail(input.userName) });
    if (existing) throw new ScimError(409, 'uniqueness', 'A user with this userName exists');
    let user: UserDocument;
    try {
      user = await this.#accounts.insert(
        c,
        { email: input.userName, passwordHash: '', displayName: displayNameOf(input), roles: ['member'] },
        'scim',
        context,
      );
    } catch (error) {
      if ((error as ProblemError).status === 409)
        throw new ScimError(409, 'uniqueness', 'A user with this userName exists');
      throw error;
    }
    if (input.externalId) {
      await c.users.updateOne({ _id: user._id }, { $set: { scimExternalId: input.externalId } });
      user = { ...user, scimExternalId: input.externalId };
    }
    if (input.active === false) return this.#setActive(c, user, false, context);
    return scimUser(user);
  }

  async get(c: TenantCollections, id: string): Promise<UserDocument> {
    const user = await c.users.findOne({ _id: id, status: { $ne: 'deleted' } });
    if (!user) throw new ScimError(404, undefined, `No User ${id}`);
    return user;
  }

  /** `filter` supports `userName eq "<value>"` (case-insensitive, as RFC 7643 says userName is). */
  list(c: TenantCollections, query: ScimListQuery) {
    return listScimResources(c.users, query, {
      where: { status: { $ne: 'deleted' } },
      attribute: 'userName',
      field: 'emailKey',
      key: normaliseEmail,
      view: scimUser,
    });
  }

  async patch(
    c: TenantCollections,
    id: string,
    patch: ScimPatch,
    context: RequestContext,
    precondition: ScimPrecondition = {},
  ) {
    if (!patch.schemas.includes(SCIM_PATCH_SCHEMA))
      throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCIM_PATCH_SCHEMA}`);
    const user = await this.get(c, id);
    assertIfMatch(precondition.ifMatch, scimUser(user).meta.version);
    let active: boolean | undefined;
    let displayName: string | undefined;
    let externalId: string | undefined;
    for (const operation of patch.Operations) {
      const op = operation.op.toLowerCase();
      if (op !== 'replace' && op !== 'add')
        throw new ScimError(400, 'invalidValue', `op ${operation.op} is not supported on User`);
      // Either `{path: "active", value: false}` or `{value: {active: false}}` (Azure AD and Okta send both).
      const values: Record<string, unknown> =
        operation.path !== undefined
          ? { [operation.path]: operation.value }
          : typeof operation.value === 'object' && operation.value !== null
            ? (operation.value as Record<string, unknown>)
            : {};
      for (const [path, value] of Object.entries(values)) {
        if (path === 'active') {
          active = activeFlag(value);
        } else if (path === 'displayName' || path === 'name.formatted') {
          if (typeof value !== 'string' || !value.trim() || value.length > 100)
            throw new ScimError(400, 'invalidValue', `${path} must be a string of 1-100 characters`);
          displayName = value.trim();
        } else if (path === 'externalId') {
          if (typeof value !== 'string' || value.length > 255)
            throw new ScimError(400, 'invalidValue', 'externalId must be a string');
          externalId = value;
        } else {
          throw new ScimError(400, 'invalidPath', `${path} cannot be patched`);
        }
      }
    }
    return this.#write(c, user, { displayName, externalId, active }, context);
  }

  /**
   * PUT (RFC 7644 §3.5.1): the client's whole User replaces the one kept. `displayName` comes
   * from the body as at creation, an absent `externalId` is cleared, an absent `active` is left
   * as it is. `userName` is the sign-in address and cannot be changed here (400 `mutability`);
   * `id` and `meta` in the body are read-only and ignored.
   */
  async replace(
    c: TenantCollections,
    id: string,
    input: ScimUserInput,
    context: RequestContext,
    precondition: ScimPrecondition = {},
  ) {
    if (!input.schemas.includes(SCIM_USER_SCHEMA))
      throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCIM_USER_SCHEMA}`);
    const user = await this.get(c, id);
    assertIfMatch(precondition.ifMatch, scimUser(user).meta.version);
    if (normaliseEmail(input.userName) !== user.emailKey)
      throw new ScimError(400, 'mutability', 'userName (the sign-in address) cannot be changed by SCIM');
    return this.#write(
      c,
      user,
      {
        displayName: displayNameOf(input),
        externalId: input.externalId ?? null,
        ...(input.active !== undefined ? { active: activeFlag(input.active) } : {}),
      },
      context,
    );
  }

  /**
   * Writes a change read from `user`: only if the user is still as it was read (its
   * `updatedAt`), so a change made meanwhile is not overwritten (412, as a stale If-Match).
   * `externalId: null` clears it. Nothing that is already so is written (the version stays).
   */
  async #write(
    c: TenantCollections,
    user: UserDocument,
    change: {
      displayName?: string | undefined;
      externalId?: string | null | undefined;
      active?: boolean | undefined;
    },
    context: RequestContext,
  ) {
    const set: Partial<UserDocument> = {};
    if (change.displayName !== undefined && change.displayName !== user.displayName)
      set.displayName = change.displayName;
    if (
      typeof change.externalId === 'string' &&
      change.externalId &&
      change.externalId !== user.scimExternalId
    )
      set.scimExternalId = change.externalId;
    const unsetExternalId = change.externalId === null && user.scimExternalId !== undefined;
    let current = user;
    if (Object.keys(set).length > 0 || unsetExternalId) {
      const updatedAt = new Date();
      const written = await c.users.findOneAndUpdate(
        { _id: user._id, updatedAt: user.updatedAt, status: { $ne: 'deleted' } },
        {
          $set: { ...set, updatedAt },
          ...(unsetExternalId ? { $unset: { scimExternalId: '' } } : {}),
        },
        { returnDocument: 'after' },
      );
      if (!written)
        throw new ScimError(
          412,
          undefined,
          'The resource changed while this request was applied; read it again',
        );
      current = written;
    }
    if (change.active !== undefined && change.active !== (current.status === 'active'))
      return this.#setActive(c, current, change.active, context);
    return scimUser(current);
  }

  async delete(
    c: TenantCollections,
    id: string,
    context: RequestContext,
    precondition: ScimPrecondition = {},
  ): Promise<void> {
    const user = await this.get(c, id);
    assertIfMatch(precondition.ifMatch, scimUser(user).meta.version);
    await this.#deletion.delete(c, id, SCIM_ACTOR, 'admin-deletion', context);
  }

  async #setActive(c: TenantCollections, user: UserDocument, active: boolean, context: RequestContext) {
    // Suspension revokes every session of the user (Redis first: auth-clients refuse them at once).
    await this.#accounts.update(
      c,
      user._id,
      { status: active ? 'active' : 'suspended' },
      SCIM_ACTOR,
      context,
    );
    return scimUser(await this.get(c, user._id));
  }
}

/** SCIM's `active`: a boolean, or the strings Azure AD sends ("True", "False"). */
function activeFlag(value: unknown): boolean {
  const flag = typeof value === 'string' ? value.toLowerCase() : value;
  if (flag !== true && flag !== false && flag !== 'true' && flag !== 'false')
    throw new ScimError(400, 'invalidValue', 'active must be a boolean');
  return flag === true || flag === 'true';
}

export interface ScimListQuery {
  filter?: string;
  startIndex?: number;
  count?: number;
}

/**
 * A SCIM ListResponse (RFC 7644 §3.4.2) of one collection, for Users and Groups alike: the one
 * supported filter `<attribute> eq "<value>"` matched on `field` through `key` (each resource's
 * case rule), 1-based `startIndex`, `count` capped at 200, oldest first.
 */
export async function listScimResources<D extends { _id: string; createdAt: Date }, R>(
  collection: Collection<D>,
  query: ScimListQuery,
  options: {
    where: Record<string, unknown>;
    attribute: string;
    field: string;
    key: (value: string) => string;
    view: (doc: D) => R | Promise<R>;
  },
) {
  const startIndex = Math.max(1, query.startIndex ?? 1);
  const count = Math.min(200, Math.max(0, query.count ?? 100));
  const where: Record<string, unknown> = { ...options.where };
  if (query.filter !== undefined) {
    const match = new RegExp(`^\\s*${options.attribute}\\s+eq\\s+"((?:[^"\\\\]|\\\\.)*)"\\s*$`, 'i').exec(
      query.filter,
    );
    if (!match?.[1])
      throw new ScimError(
        400,
        'invalidFilter',
        `Only the filter ${options.attribute} eq "<value>" is supported`,
      );
    where[options.field] = options.key(match[1].replace(/\\(.)/g, '$1'));
  }
  const filter = where as Filter<D>;
  const [total, docs] = await Promise.all([
    collection.countDocuments(filter),
    collection
      .find(filter)
      .sort({ createdAt: 1, _id: 1 })
      .skip(startIndex - 1)
      .limit(count)
      .toArray(),
  ]);
  return {
    schemas: [SCIM_LIST_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: docs.length,
    Resources: await Promise.all(docs.map((doc) => options.view(doc as D))),
  };
}
