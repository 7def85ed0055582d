/**
 * SCIM 2.0 Users through the gateway, as a provisioning client (an HR directory) calls it: plain
 * HTTP with `application/scim+json` and the tenant's SCIM bearer token, against the real auth
 * service. Create, filter, patch (active=false suspends and ends the user's sessions at once),
 * delete, SCIM error bodies for bad input, and the attack: tenant A's token used on tenant B; the
 * admin's token list (prefix, maker, last use, never the token) and revocation from it; the
 * discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas), followed as a client would.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let stack: GatewayStack;
let adminA: SignedIn;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  stack = await openGatewayStack();
  adminA = await stack.user(stack.tenantA, ['admin']);
  const adminB = await stack.user(stack.tenantB, ['admin']);
  const issued = await Promise.all(
    [adminA, adminB].map((admin) => admin.client.POST('/api/v1/admin/scim/tokens')),
  );
  tokenA = issued[0]?.data?.token ?? '';
  tokenB = issued[1]?.data?.token ?? '';
  expect(tokenA).toMatch(/^scim_/);
  expect(tokenB).toMatch(/^scim_/);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

async function scim(
  tenant: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; etag: string | null; json: Record<string, unknown> }> {
  const response = await fetch(`${stack.gateway.url}/api/v1/tenants/${tenant}/scim/v2${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    etag: response.headers.get('etag'),
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const versionOf = (answer: { json: Record<string, unknown> }) =>
  (answer.json.meta as { version?: string } | undefined)?.version;

const newUser = (email: string, extra: object = {}) => ({
  schemas: [USER],
  userName: email,
  name: { givenName: 'Pat', familyName: 'Doe' },
  emails: [{ value: email, primary: true }],
  externalId: `hr-${randomUUID().slice(0, 8)}`,
  ...extra,
});

describe('SCIM 2.0 Users', () => {
  it('creates a user, finds it by userName, refuses a duplicate', async () => {
    const email = `pat-${randomUUID().slice(0, 8)}@${stack.tenantA}.example`;
    const created = await scim(stack.tenantA, 'POST', '/Users', tokenA, newUser(email));
    expect(created.status).toBe(201);
    expect(created.type).toContain('application/scim+json');
    expect(created.json).toMatchObject({
      schemas: [USER],
      userName: email,
      displayName: 'Pat Doe',
      active: true,
    });
    const found = await scim(
      stack.tenantA,
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${email.toUpperCase()}"`)}`,
      tokenA,
    );
    expect(found.status).toBe(200);
    expect(found.json.totalResults).toBe(1);
    expect((found.json.Resources as { id: string }[])[0]?.id).toBe(created.json.id);
    const one = await scim(stack.tenantA, 'GET', `/Users/${created.json.id}`, tokenA);
    expect(one.json.userName).toBe(email);

    const duplicate = await scim(stack.tenantA, 'POST', '/Users', tokenA, newUser(email));
    expect(duplicate.status).toBe(409);
    expect(duplicate.json).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
  });

  it('answers bad input with SCIM errors', async () => {
    const noUserName = await scim(stack.tenantA, 'POST', '/Users', tokenA, { schemas: [USER] });
    expect(noUserName.status).toBe(400);
    expect(noUserName.json).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
    const wrongSchema = await scim(stack.tenantA, 'POST', '/Users', tokenA, {
      ...newUser(`x-${randomUUID().slice(0, 6)}@${stack.tenantA}.example`),
      schemas: ['urn:example:not-a-user'],
    });
    expect(wrongSchema.json).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    const notAnEmail = await scim(stack.tenantA, 'POST', '/Users', tokenA, newUser('not-an-email'));
    expect(notAnEmail.json).toMatchObject({ status: '400', scimType: 'invalidValue' });
    const filter = await scim(
      stack.tenantA,
      'GET',
      `/Users?filter=${encodeURIComponent('emails co "x"')}`,
      tokenA,
    );
    expect(filter.json).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    const unknown = await scim(stack.tenantA, 'GET', '/Users/no-such-user', tokenA);
    expect(unknown.json).toMatchObject({ schemas: [ERROR], status: '404' });
    const badPath = await scim(stack.tenantA, 'PATCH', `/Users/${adminA.userId}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'roles', value: ['admin'] }],
    });
    expect(badPath.json).toMatchObject({ status: '400', scimType: 'invalidPath' });
  });

  it("refuses tenant A's token on tenant B, and no token at all", async () => {
    const email = `mallory-${randomUUID().slice(0, 8)}@${stack.tenantB}.example`;
    const create = await scim(stack.tenantB, 'POST', '/Users', tokenA, newUser(email));
    expect(create.status).toBe(401);
    expect(create.json).toMatchObject({ schemas: [ERROR], status: '401' });
    const list = await scim(stack.tenantB, 'GET', '/Users', tokenA);
    expect(list.status).toBe(401);
    const bUser = await stack.user(stack.tenantB);
    expect((await scim(stack.tenantB, 'GET', `/Users/${bUser.userId}`, tokenA)).status).toBe(401);
    expect(
      (
        await scim(stack.tenantB, 'PATCH', `/Users/${bUser.userId}`, tokenA, {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        })
      ).status,
    ).toBe(401);
    expect((await scim(stack.tenantB, 'DELETE', `/Users/${bUser.userId}`, tokenA)).status).toBe(401);
    expect((await bUser.client.GET('/api/v1/me')).response.status).toBe(200);
    // Nothing was made in B; B's own token sees B's user and not the attempted one.
    const inB = await scim(
      stack.tenantB,
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`,
      tokenB,
    );
    expect(inB.json.totalResults).toBe(0);
    expect((await scim(stack.tenantB, 'GET', `/Users/${bUser.userId}`, tokenB)).status).toBe(200);
    // And B's token is no key to A.
    expect((await scim(stack.tenantA, 'GET', '/Users', tokenB)).status).toBe(401);
    expect((await scim(stack.tenantA, 'GET', '/Users', undefined)).status).toBe(401);
  });

  it('deactivates a user with active=false: their sessions end at once; active=true lets them back', async () => {
    const person = await stack.user(stack.tenantA);
    expect((await person.client.GET('/api/v1/me')).response.status).toBe(200);
    const off = await scim(stack.tenantA, 'PATCH', `/Users/${person.userId}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.status).toBe(200);
    expect(off.json.active).toBe(false);
    expect((await person.client.GET('/api/v1/me')).response.status).toBe(401);
    const refresh = await stack.anonymous.POST('/api/v1/tenants/{tenant}/token', {
      params: { path: { tenant: stack.tenantA } },
      body: { refreshToken: person.refreshToken },
    });
    expect(refresh.response.status).toBe(401);
    const on = await scim(stack.tenantA, 'PATCH', `/Users/${person.userId}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: 'True' }],
    });
    expect(on.json.active).toBe(true);
  });

  it('deletes a user, and a revoked token stops working', async () => {
    const email = `leaver-${randomUUID().slice(0, 8)}@${stack.tenantA}.example`;
    const created = await scim(stack.tenantA, 'POST', '/Users', tokenA, newUser(email));
    expect((await scim(stack.tenantA, 'DELETE', `/Users/${created.json.id}`, tokenA)).status).toBe(204);
    expect((await scim(stack.tenantA, 'GET', `/Users/${created.json.id}`, tokenA)).status).toBe(404);

    const spare = await adminA.client.POST('/api/v1/admin/scim/tokens');
    const token = spare.data?.token ?? '';
    expect((await scim(stack.tenantA, 'GET', '/Users?count=1', token)).status).toBe(200);
    await adminA.client.DELETE('/api/v1/admin/scim/tokens/{tokenId}', {
      params: { path: { tokenId: spare.data?.id ?? '' } },
    });
    expect((await scim(stack.tenantA, 'GET', '/Users?count=1', token)).status).toBe(401);
    // Only the hash is kept.
    const c = await stack.auth.components.store.forTenant(stack.tenantA);
    expect(JSON.stringify(await c.scimTokens.find({}).toArray())).not.toContain(tokenA);
  });
});

describe('the SCIM token list', () => {
  it('lists each token by prefix, maker and last use, never the token or its hash; a revoked one leaves the list', async () => {
    const issued = await adminA.client.POST('/api/v1/admin/scim/tokens');
    expect(issued.response.status).toBe(201);
    const made = issued.data;
    if (!made) throw new Error('no token');
    expect(made.prefix).toBe(made.token.slice(0, 11));

    const before = await adminA.client.GET('/api/v1/admin/scim/tokens');
    expect(before.response.status).toBe(200);
    const listed = before.data?.tokens.find((t) => t.id === made.id);
    expect(listed).toEqual({
      id: made.id,
      prefix: made.prefix,
      createdAt: made.createdAt,
      createdBy: adminA.userId,
    });
    // Newest first; the token and its hash are nowhere in the answer.
    expect(before.data?.tokens[0]?.id).toBe(made.id);
    const c = await stack.auth.components.store.forTenant(stack.tenantA);
    const stored = await c.scimTokens.findOne({ _id: made.id });
    const text = JSON.stringify(before.data);
    expect(text).not.toContain(made.token);
    expect(text).not.toContain(stored?.tokenHash ?? 'no-hash');
    expect(text).not.toContain(tokenA);

    // A SCIM call with it sets its last use.
    expect((await scim(stack.tenantA, 'GET', '/Users?count=1', made.token)).status).toBe(200);
    const after = await adminA.client.GET('/api/v1/admin/scim/tokens');
    const used = after.data?.tokens.find((t) => t.id === made.id)?.lastUsedAt ?? '';
    expect(Date.parse(used)).toBeGreaterThanOrEqual(Date.parse(made.createdAt));

    // Tenant B's admin sees none of A's tokens; a member may not list.
    const adminB = await stack.user(stack.tenantB, ['admin']);
    const bList = await adminB.client.GET('/api/v1/admin/scim/tokens');
    expect(bList.response.status).toBe(200);
    expect(bList.data?.tokens.map((t) => t.id)).not.toContain(made.id);
    const member = await stack.user(stack.tenantA);
    expect((await member.client.GET('/api/v1/admin/scim/tokens')).response.status).toBe(403);
    expect(
      (
        await adminB.client.DELETE('/api/v1/admin/scim/tokens/{tokenId}', {
          params: { path: { tokenId: made.id } },
        })
      ).response.status,
    ).toBe(404);

    const revoked = await adminA.client.DELETE('/api/v1/admin/scim/tokens/{tokenId}', {
      params: { path: { tokenId: made.id } },
    });
    expect(revoked.response.status).toBe(204);
    const gone = await adminA.client.GET('/api/v1/admin/scim/tokens');
    expect(gone.data?.tokens.map((t) => t.id)).not.toContain(made.id);
    expect((await scim(stack.tenantA, 'GET', '/Users?count=1', made.token)).status).toBe(401);
  });
});

describe('SCIM 2.0 PUT and versions (RFC 7644 §3.5.1, §3.14)', () => {
  it('replaces a user with PUT; If-Match on another version is 412 and changes nothing; If-None-Match is 304', async () => {
    const email = `put-${randomUUID().slice(0, 8)}@${stack.tenantA}.example`;
    const created = await scim(stack.tenantA, 'POST', '/Users', tokenA, newUser(email));
    expect(created.status).toBe(201);
    const v1 = versionOf(created);
    expect(v1).toMatch(/^W\/".+"$/);
    expect(created.etag).toBe(v1);
    const read = await scim(stack.tenantA, 'GET', `/Users/${created.json.id}`, tokenA);
    expect(read.etag).toBe(v1);
    const unchanged = await scim(stack.tenantA, 'GET', `/Users/${created.json.id}`, tokenA, undefined, {
      'if-none-match': v1 as string,
    });
    expect(unchanged.status).toBe(304);

    // PUT: the whole resource; externalId absent is cleared, displayName from the body.
    const replaced = await scim(
      stack.tenantA,
      'PUT',
      `/Users/${created.json.id}`,
      tokenA,
      { schemas: [USER], userName: email, displayName: 'Pat Replaced', active: true },
      { 'if-match': v1 as string },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      id: created.json.id,
      userName: email,
      displayName: 'Pat Replaced',
    });
    expect(replaced.json).not.toHaveProperty('externalId');
    const v2 = versionOf(replaced);
    expect(v2).not.toBe(v1);
    expect(replaced.etag).toBe(v2);

    // A client holding the old version loses: 412, and the user is as the PUT left it.
    const stalePut = await scim(
      stack.tenantA,
      'PUT',
      `/Users/${created.json.id}`,
      tokenA,
      { schemas: [USER], userName: email, displayName: 'Lost update' },
      { 'if-match': v1 as string },
    );
    expect(stalePut.status).toBe(412);
    expect(stalePut.json).toMatchObject({ schemas: [ERROR], status: '412' });
    const stalePatch = await scim(
      stack.tenantA,
      'PATCH',
      `/Users/${created.json.id}`,
      tokenA,
      { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] },
      { 'if-match': v1 as string },
    );
    expect(stalePatch.status).toBe(412);
    const staleDelete = await scim(stack.tenantA, 'DELETE', `/Users/${created.json.id}`, tokenA, undefined, {
      'if-match': v1 as string,
    });
    expect(staleDelete.status).toBe(412);
    const now = await scim(stack.tenantA, 'GET', `/Users/${created.json.id}`, tokenA, undefined, {
      'if-none-match': v1 as string,
    });
    expect(now.status).toBe(200);
    expect(now.json).toMatchObject({ displayName: 'Pat Replaced', active: true });
    expect(versionOf(now)).toBe(v2);

    // The current version (or *) lets a change through; PUT active=false suspends.
    const off = await scim(
      stack.tenantA,
      'PUT',
      `/Users/${created.json.id}`,
      tokenA,
      { schemas: [USER], userName: email.toUpperCase(), displayName: 'Pat Replaced', active: false },
      { 'if-match': `W/"other", ${v2}` },
    );
    expect(off.status).toBe(200);
    expect(off.json.active).toBe(false);
    // userName is the sign-in address: not changed by a PUT.
    const rename = await scim(stack.tenantA, 'PUT', `/Users/${created.json.id}`, tokenA, {
      schemas: [USER],
      userName: `other-${email}`,
    });
    expect(rename.json).toMatchObject({ status: '400', scimType: 'mutability' });
    expect(
      (
        await scim(stack.tenantA, 'DELETE', `/Users/${created.json.id}`, tokenA, undefined, {
          'if-match': '*',
        })
      ).status,
    ).toBe(204);
  });

  it('replaces a group with PUT under If-Match; a stale version is 412', async () => {
    const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
    const [one, two] = await Promise.all([stack.user(stack.tenantA), stack.user(stack.tenantA)]);
    const name = `Put team ${randomUUID().slice(0, 6)}`;
    const created = await scim(stack.tenantA, 'POST', '/Groups', tokenA, {
      schemas: [GROUP],
      displayName: name,
      externalId: 'hr-team-1',
      members: [{ value: one.userId }],
    });
    const v1 = versionOf(created);
    expect(created.etag).toBe(v1);
    const replaced = await scim(
      stack.tenantA,
      'PUT',
      `/Groups/${created.json.id}`,
      tokenA,
      { schemas: [GROUP], displayName: `${name} renamed`, members: [{ value: two.userId }] },
      { 'if-match': v1 as string },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.json.displayName).toBe(`${name} renamed`);
    expect((replaced.json.members as { value: string }[]).map((m) => m.value)).toEqual([two.userId]);
    expect(replaced.json).not.toHaveProperty('externalId');
    expect(replaced.etag).not.toBe(v1);
    const stale = await scim(
      stack.tenantA,
      'PATCH',
      `/Groups/${created.json.id}`,
      tokenA,
      { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: one.userId }] }] },
      { 'if-match': v1 as string },
    );
    expect(stale.status).toBe(412);
    const read = await scim(stack.tenantA, 'GET', `/Groups/${created.json.id}`, tokenA, undefined, {
      'if-none-match': replaced.etag as string,
    });
    expect(read.status).toBe(304);
    expect(read.etag).toBe(replaced.etag);
    expect(
      (
        await scim(stack.tenantA, 'DELETE', `/Groups/${created.json.id}`, tokenA, undefined, {
          'if-match': v1 as string,
        })
      ).status,
    ).toBe(412);
    expect((await scim(stack.tenantA, 'DELETE', `/Groups/${created.json.id}`, tokenA)).status).toBe(204);
  });

  it("refuses a PUT with tenant A's token on tenant B's user and group, and B's ids under A", async () => {
    const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
    const bUser = await stack.user(stack.tenantB);
    const before = await scim(stack.tenantB, 'GET', `/Users/${bUser.userId}`, tokenB);
    const bGroup = await scim(stack.tenantB, 'POST', '/Groups', tokenB, {
      schemas: [GROUP],
      displayName: `B put ${randomUUID().slice(0, 6)}`,
      members: [{ value: bUser.userId }],
    });
    const put = (tenant: string, path: string, body: unknown, version?: string) =>
      scim(tenant, 'PUT', path, tokenA, body, version ? { 'if-match': version } : {});
    const userBody = {
      schemas: [USER],
      userName: before.json.userName,
      displayName: 'Hijacked',
      active: false,
    };
    const groupBody = { schemas: [GROUP], displayName: 'Hijacked', members: [] };
    expect((await put(stack.tenantB, `/Users/${bUser.userId}`, userBody, before.etag ?? '')).status).toBe(
      401,
    );
    expect((await put(stack.tenantA, `/Users/${bUser.userId}`, userBody)).status).toBe(404);
    expect((await put(stack.tenantB, `/Groups/${bGroup.json.id}`, groupBody, bGroup.etag ?? '')).status).toBe(
      401,
    );
    expect((await put(stack.tenantA, `/Groups/${bGroup.json.id}`, groupBody)).status).toBe(404);
    const after = await scim(stack.tenantB, 'GET', `/Users/${bUser.userId}`, tokenB);
    expect(after.json).toMatchObject({ displayName: before.json.displayName, active: true });
    expect(after.etag).toBe(before.etag);
    const groupAfter = await scim(stack.tenantB, 'GET', `/Groups/${bGroup.json.id}`, tokenB);
    expect(groupAfter.etag).toBe(bGroup.etag);
    expect((await bUser.client.GET('/api/v1/me')).response.status).toBe(200);
  });
});

describe('SCIM 2.0 Groups', () => {
  const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

  it('creates a group of the tenant’s users, patches its members, filters and deletes it', async () => {
    const [one, two] = await Promise.all([stack.user(stack.tenantA), stack.user(stack.tenantA)]);
    const name = `Engineering ${randomUUID().slice(0, 6)}`;
    const created = await scim(stack.tenantA, 'POST', '/Groups', tokenA, {
      schemas: [GROUP],
      displayName: name,
      members: [{ value: one?.userId }],
    });
    expect(created.status).toBe(201);
    expect((created.json.members as { value: string }[]).map((m) => m.value)).toEqual([one?.userId]);
    const added = await scim(stack.tenantA, 'PATCH', `/Groups/${created.json.id}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: two?.userId }] }],
    });
    expect((added.json.members as { value: string }[]).map((m) => m.value).sort()).toEqual(
      [one?.userId, two?.userId].sort(),
    );
    const removed = await scim(stack.tenantA, 'PATCH', `/Groups/${created.json.id}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'remove', path: `members[value eq "${one?.userId}"]` }],
    });
    expect((removed.json.members as { value: string }[]).map((m) => m.value)).toEqual([two?.userId]);
    const found = await scim(
      stack.tenantA,
      'GET',
      `/Groups?filter=${encodeURIComponent(`displayName eq "${name.toLowerCase()}"`)}`,
      tokenA,
    );
    expect(found.json.totalResults).toBe(1);
    const duplicate = await scim(stack.tenantA, 'POST', '/Groups', tokenA, {
      schemas: [GROUP],
      displayName: name,
    });
    expect(duplicate.json).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    expect((await scim(stack.tenantA, 'DELETE', `/Groups/${created.json.id}`, tokenA)).status).toBe(204);
    expect((await scim(stack.tenantA, 'GET', `/Groups/${created.json.id}`, tokenA)).status).toBe(404);
  });

  it("refuses a member from another tenant, and tenant A's token on tenant B's groups", async () => {
    const outsider = await stack.user(stack.tenantB);
    const smuggled = await scim(stack.tenantA, 'POST', '/Groups', tokenA, {
      schemas: [GROUP],
      displayName: `Smuggle ${randomUUID().slice(0, 6)}`,
      members: [{ value: outsider.userId }],
    });
    expect(smuggled.status).toBe(400);
    expect(smuggled.json).toMatchObject({ schemas: [ERROR], scimType: 'invalidValue' });
    const groupB = await scim(stack.tenantB, 'POST', '/Groups', tokenB, {
      schemas: [GROUP],
      displayName: `B team ${randomUUID().slice(0, 6)}`,
      members: [{ value: outsider.userId }],
    });
    expect(groupB.status).toBe(201);
    expect((await scim(stack.tenantB, 'GET', `/Groups/${groupB.json.id}`, tokenA)).status).toBe(401);
    expect((await scim(stack.tenantA, 'GET', `/Groups/${groupB.json.id}`, tokenA)).status).toBe(404);
    expect(
      (
        await scim(stack.tenantB, 'PATCH', `/Groups/${groupB.json.id}`, tokenA, {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'members', value: [] }],
        })
      ).status,
    ).toBe(401);
    expect((await scim(stack.tenantB, 'DELETE', `/Groups/${groupB.json.id}`, tokenA)).status).toBe(401);
    const still = await scim(stack.tenantB, 'GET', `/Groups/${groupB.json.id}`, tokenB);
    expect((still.json.members as { value: string }[]).map((m) => m.value)).toEqual([outsider.userId]);
  });
});

describe('SCIM 2.0 discovery (RFC 7644 section 4)', () => {
  type Attribute = { name: string; required: boolean; mutability: string; subAttributes?: Attribute[] };
  type Schema = { id: string; attributes: Attribute[] };

  it('announces what is supported, and a client that follows it is served', async () => {
    const config = await scim(stack.tenantA, 'GET', '/ServiceProviderConfig', tokenA);
    expect(config.status).toBe(200);
    expect(config.type).toContain('application/scim+json');
    expect(config.json).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
    });
    const maxResults = (config.json.filter as { maxResults: number }).maxResults;
    expect(maxResults).toBeGreaterThan(0);
    // A client asking for more than maxResults gets at most that many.
    const many = await scim(stack.tenantA, 'GET', `/Users?count=${maxResults + 50}`, tokenA);
    expect(many.status).toBe(200);
    expect(many.json.itemsPerPage).toBeLessThanOrEqual(maxResults);
    // etag supported: a user's version is its ETag, and If-None-Match with it is 304.
    const email = `disco-${randomUUID().slice(0, 8)}@${stack.tenantA}.example`;
    const created = await scim(stack.tenantA, 'POST', '/Users', tokenA, newUser(email));
    expect(created.status).toBe(201);
    expect(created.etag).toBe(versionOf(created));
    const unchanged = await scim(
      stack.tenantA,
      'GET',
      `/Users/${String(created.json.id)}`,
      tokenA,
      undefined,
      {
        'if-none-match': String(created.etag),
      },
    );
    expect(unchanged.status).toBe(304);
    // patch supported: a PatchOp on the user works.
    const patched = await scim(stack.tenantA, 'PATCH', `/Users/${String(created.json.id)}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Disco Pat' }],
    });
    expect(patched.status).toBe(200);
    expect(patched.json.displayName).toBe('Disco Pat');
  });

  it('lists User and Group, each at an endpoint that answers and with a schema /Schemas describes', async () => {
    const types = await scim(stack.tenantA, 'GET', '/ResourceTypes', tokenA);
    expect(types.status).toBe(200);
    expect(types.type).toContain('application/scim+json');
    expect(types.json.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    const resources = types.json.Resources as { name: string; endpoint: string; schema: string }[];
    expect(resources.map((type) => type.name).sort()).toEqual(['Group', 'User']);
    expect(types.json.totalResults).toBe(2);

    const schemas = await scim(stack.tenantA, 'GET', '/Schemas', tokenA);
    expect(schemas.status).toBe(200);
    expect(schemas.type).toContain('application/scim+json');
    const described = schemas.json.Resources as Schema[];
    for (const type of resources) {
      const list = await scim(stack.tenantA, 'GET', type.endpoint, tokenA);
      expect(list.status, type.endpoint).toBe(200);
      expect(described.map((schema) => schema.id)).toContain(type.schema);
    }
    const user = described.find((schema) => schema.id === USER);
    const byName = new Map(user?.attributes.map((attribute) => [attribute.name, attribute]));
    expect(byName.get('userName')).toMatchObject({ required: true, mutability: 'immutable' });
    expect(byName.get('active')).toMatchObject({ required: false, mutability: 'readWrite' });
    // Every attribute the schema says is returned is in a user auth answers, and nothing else is required.
    const email = `schema-${randomUUID().slice(0, 8)}@${stack.tenantA}.example`;
    const created = await scim(stack.tenantA, 'POST', '/Users', tokenA, {
      schemas: [USER],
      userName: email,
    });
    expect(created.status).toBe(201);
    for (const attribute of user?.attributes ?? []) {
      if (attribute.mutability !== 'writeOnly')
        expect(created.json, attribute.name).toHaveProperty(attribute.name);
    }
    const group = described.find((schema) => schema.id === 'urn:ietf:params:scim:schemas:core:2.0:Group');
    expect(group?.attributes.map((attribute) => attribute.name)).toEqual(['displayName', 'members']);

    // Each one by its id, as in the lists; an id that is not there is a SCIM 404.
    for (const type of resources) {
      const one = await scim(stack.tenantA, 'GET', `/ResourceTypes/${type.name}`, tokenA);
      expect(one.status, type.name).toBe(200);
      expect(one.json).toEqual(type);
      const itsSchema = await scim(
        stack.tenantA,
        'GET',
        `/Schemas/${encodeURIComponent(type.schema)}`,
        tokenA,
      );
      expect(itsSchema.status, type.schema).toBe(200);
      expect(itsSchema.json).toEqual(described.find((schema) => schema.id === type.schema));
    }
    for (const path of ['/ResourceTypes/Nothing', `/Schemas/${encodeURIComponent('urn:example:none')}`]) {
      const missing = await scim(stack.tenantA, 'GET', path, tokenA);
      expect(missing.status, path).toBe(404);
      expect(missing.json).toMatchObject({ schemas: [ERROR], status: '404' });
    }
  });

  it("refuses tenant A's token on tenant B's discovery, and no token at all", async () => {
    for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/Schemas', '/ResourceTypes/User']) {
      const crossed = await scim(stack.tenantB, 'GET', path, tokenA);
      expect(crossed.status, path).toBe(401);
      expect(crossed.json).toMatchObject({ schemas: [ERROR], status: '401' });
      expect((await scim(stack.tenantA, 'GET', path, undefined)).status, path).toBe(401);
      expect((await scim(stack.tenantB, 'GET', path, tokenB)).status, path).toBe(200);
    }
  });
});
