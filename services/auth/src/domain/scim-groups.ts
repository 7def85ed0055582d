/**
 * SCIM 2.0 Groups (RFC 7643 section 4.2) of a tenant: a name and members, who must be users of the
 * same tenant (a member id from anywhere else is refused, never stored). Each answer carries its
 * version (`meta.version`, the ETag); a change naming another in If-Match is refused (412). Groups do not map to roles
 * or channel membership yet; deleting a user leaves its id out of every answer.
 */

import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '@parley/kit';
import type { ScimGroupDocument, TenantCollections } from '../store/tenant-store.ts';
import {
  assertIfMatch,
  listScimResources,
  SCIM_PATCH_SCHEMA,
  ScimError,
  type ScimListQuery,
  type ScimPatch,
  type ScimPrecondition,
  withVersion,
} from './scim-users.ts';

export const SCIM_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export interface ScimGroupInput {
  schemas: string[];
  displayName: string;
  externalId?: string;
  members?: { value: string }[];
}

const nameKey = (name: string) => name.trim().toLowerCase();

export class ScimGroups {
  async create(c: TenantCollections, input: ScimGroupInput) {
    if (!input.schemas.includes(SCIM_GROUP_SCHEMA))
      throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCIM_GROUP_SCHEMA}`);
    const now = new Date();
    const group: ScimGroupDocument = {
      _id: randomUUID(),
      displayName: input.displayName.trim(),
      displayNameKey: nameKey(input.displayName),
      ...(input.externalId ? { externalId: input.externalId } : {}),
      memberIds: await this.#members(
        c,
        (input.members ?? []).map((m) => m.value),
      ),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await c.scimGroups.insertOne(group);
    } catch (error) {
      if (isDuplicateKeyError(error))
        throw new ScimError(409, 'uniqueness', 'A group with this displayName exists');
      throw error;
    }
    return this.view(c, group);
  }

  async get(c: TenantCollections, id: string): Promise<ScimGroupDocument> {
    const group = await c.scimGroups.findOne({ _id: id });
    if (!group) throw new ScimError(404, undefined, `No Group ${id}`);
    return group;
  }

  /** `filter` supports `displayName eq "<value>"` (case-insensitive). */
  list(c: TenantCollections, query: ScimListQuery) {
    return listScimResources(c.scimGroups, query, {
      where: {},
      attribute: 'displayName',
      field: 'displayNameKey',
      key: nameKey,
      view: (group) => this.view(c, group),
    });
  }

  /** add/remove/replace of `members` (remove also as `members[value eq "<id>"]`) and `displayName`. */
  async patch(c: TenantCollections, id: string, patch: ScimPatch, precondition: ScimPrecondition = {}) {
    if (!patch.schemas.includes(SCIM_PATCH_SCHEMA))
      throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCIM_PATCH_SCHEMA}`);
    const group = await this.get(c, id);
    assertIfMatch(precondition.ifMatch, (await this.view(c, group)).meta.version);
    let members = new Set(group.memberIds);
    let displayName = group.displayName;
    for (const operation of patch.Operations) {
      const op = operation.op.toLowerCase();
      const path = operation.path ?? '';
      const filtered = /^members\[value eq "([^"]+)"\]$/.exec(path);
      if (op === 'remove' && filtered?.[1]) {
        members.delete(filtered[1]);
      } else if (path === 'members') {
        const ids = this.#ids(op === 'remove' && operation.value === undefined ? [] : operation.value);
        if (op === 'add') for (const m of await this.#members(c, ids)) members.add(m);
        else if (op === 'remove')
          for (const m of operation.value === undefined ? [...members] : ids) members.delete(m);
        else if (op === 'replace') members = new Set(await this.#members(c, ids));
        else throw new ScimError(400, 'invalidValue', `op ${operation.op} is not supported`);
      } else if ((path === 'displayName' || (!path && op === 'replace')) && op !== 'remove') {
        const value = path
          ? operation.value
          : (operation.value as { displayName?: unknown } | undefined)?.displayName;
        if (typeof value !== 'string' || !value.trim() || value.length > 200)
          throw new ScimError(400, 'invalidValue', 'displayName must be a string of 1-200 characters');
        displayName = value.trim();
      } else {
        throw new ScimError(
          400,
          'invalidPath',
          `${path || '(no path)'} cannot be patched with ${operation.op}`,
        );
      }
    }
    return this.#write(c, group, { displayName, memberIds: [...members], externalId: group.externalId });
  }

  /**
   * PUT (RFC 7644 §3.5.1): the client's whole Group replaces the one kept: its displayName, its
   * members (none when absent; each a user of this tenant) and its externalId (cleared when absent).
   */
  async replace(
    c: TenantCollections,
    id: string,
    input: ScimGroupInput,
    precondition: ScimPrecondition = {},
  ) {
    if (!input.schemas.includes(SCIM_GROUP_SCHEMA))
      throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCIM_GROUP_SCHEMA}`);
    const group = await this.get(c, id);
    assertIfMatch(precondition.ifMatch, (await this.view(c, group)).meta.version);
    const memberIds = await this.#members(
      c,
      (input.members ?? []).map((m) => m.value),
    );
    return this.#write(c, group, {
      displayName: input.displayName.trim(),
      memberIds,
      externalId: input.externalId,
    });
  }

  /** Writes the group as read, only if it is still as it was (its updatedAt): else 412. */
  async #write(
    c: TenantCollections,
    group: ScimGroupDocument,
    next: { displayName: string; memberIds: string[]; externalId: string | undefined },
  ) {
    const set = {
      displayName: next.displayName,
      displayNameKey: nameKey(next.displayName),
      memberIds: next.memberIds,
      ...(next.externalId ? { externalId: next.externalId } : {}),
      updatedAt: new Date(),
    };
    let written: ScimGroupDocument | null;
    try {
      written = await c.scimGroups.findOneAndUpdate(
        { _id: group._id, updatedAt: group.updatedAt },
        { $set: set, ...(next.externalId ? {} : { $unset: { externalId: '' } }) },
        { returnDocument: 'after' },
      );
    } catch (error) {
      if (isDuplicateKeyError(error))
        throw new ScimError(409, 'uniqueness', 'A group with this displayName exists');
      throw error;
    }
    if (!written)
      throw new ScimError(
        412,
        undefined,
        'The resource changed while this request was applied; read it again',
      );
    return this.view(c, written);
  }

  async delete(c: TenantCollections, id: string, precondition: ScimPrecondition = {}): Promise<void> {
    if (precondition.ifMatch !== undefined)
      assertIfMatch(precondition.ifMatch, (await this.view(c, await this.get(c, id))).meta.version);
    const removed = await c.scimGroups.deleteOne({ _id: id });
    if (removed.deletedCount === 0) throw new ScimError(404, undefined, `No Group ${id}`);
  }

  async view(c: TenantCollections, group: ScimGroupDocument) {
    const users = await c.users
      .find(
        { _id: { $in: group.memberIds }, status: { $ne: 'deleted' } },
        { projection: { _id: 1, displayName: 1 } },
      )
      .toArray();
    return withVersion({
      schemas: [SCIM_GROUP_SCHEMA],
      id: group._id,
      ...(group.externalId ? { externalId: group.externalId } : {}),
      displayName: group.displayName,
      members: users.map((u) => ({ value: u._id, display: u.displayName, type: 'User' })),
      meta: {
        resourceType: 'Group',
        created: group.createdAt.toISOString(),
        lastModified: group.updatedAt.toISOString(),
      },
    });
  }

  #ids(value: unknown): string[] {
    if (!Array.isArray(value) || value.length > 1000)
      throw new ScimError(400, 'invalidValue', 'members must be a list of {value}');
    return value.map((m) => {
      const id = (m as { value?: unknown })?.value;
      if (typeof id !== 'string' || id.length === 0 || id.length > 64)
        throw new ScimError(400, 'invalidValue', 'A member needs a value (a user id)');
      return id;
    });
  }

  /** The ids, each checked to be a user of this tenant: a member of another tenant is refused. */
  async #members(c: TenantCollections, ids: string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const found = await c.users.countDocuments({ _id: { $in: unique }, status: { $ne: 'deleted' } });
    if (found !== unique.length)
      throw new ScimError(400, 'invalidValue', 'Every member must be a user of this tenant');
    return unique;
  }
}
