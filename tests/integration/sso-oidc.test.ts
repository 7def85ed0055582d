/**
 * Single sign-on with OpenID Connect through the gateway, against two real OpenID providers
 * (oidc-provider, each its own process on 127.0.0.1): tenant A's admin configures provider A,
 * tenant B's admin provider B (which an attacker controlling tenant B may make vouch for any
 * address). Sign-in is the code flow with PKCE; the user is created just in time on first
 * sign-in and found by the provider's subject after. Attacks: a tampered state, a replayed
 * state, provider B's answer presented to tenant A (with B's state, and with A's state and B's
 * code and issuer), an unverified address, an address outside the tenant's domains.
 */
import { randomBytes } from 'node:crypto';
import { PASSWORD } from '@parley/auth-service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';
import { type IdpProcess, startIdp } from './oidc-idp-process.ts';

let stack: GatewayStack;
let idpA: IdpProcess;
let idpB: IdpProcess;
let adminA: SignedIn;
let adminB: SignedIn;
let redirectUri: string;
const secretA = `secret-a-${randomBytes(12).toString('hex')}`;
const secretB = `secret-b-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  stack = await openGatewayStack(
    {},
    {
      authPolicy: {
        oidc: { stateTtlSeconds: 300, allowHttpIssuers: true, issuerAllowedNetworks: '127.0.0.1/32' },
      },
    },
  );
  redirectUri = `${stack.gateway.url}/sso/callback`;
  const domainA = `${stack.tenantA}.example`;
  [idpA, idpB] = await Promise.all([
    startIdp([{ client_id: 'parley-a', client_secret: secretA, redirect_uris: [redirectUri] }], {
      alice: { email: `Alice@${domainA}`, email_verified: true, name: 'Alice Example' },
      eve: { email: `eve@${domainA}`, email_verified: false },
      outsider: { email: 'outsider@elsewhere.example', email_verified: true },
      grace: { email: `grace@${domainA}`, email_verified: true, groups: ['staff', 'parley-admins'] },
      henry: { email: `henry@${domainA}`, email_verified: true, groups: ['staff'] },
    }),
    // Tenant B's provider, run by whoever controls tenant B: it vouches for tenant A's Alice.
    startIdp([{ client_id: 'parley-b', client_secret: secretB, redirect_uris: [redirectUri] }], {
      alice: { email: `alice@${domainA}`, email_verified: true },
    }),
  ]);
  [adminA, adminB] = await Promise.all([
    stack.user(stack.tenantA, ['admin']),
    stack.user(stack.tenantB, ['admin']),
  ]);
  for (const [admin, idp, clientId, secret, domain] of [
    [adminA, idpA, 'parley-a', secretA, domainA],
    [adminB, idpB, 'parley-b', secretB, domainA],
  ] as const) {
    const configured = await admin.client.PUT('/api/v1/admin/sso/oidc', {
      body: {
        issuer: idp.issuer,
        clientId,
        clientSecret: secret,
        redirectUris: [redirectUri],
        allowedEmailDomains: [domain],
      },
    });
    expect(configured.error).toBeUndefined();
    expect(JSON.stringify(configured.data)).not.toContain(secret);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([idpA?.stop(), idpB?.stop()]);
  await stack?.close();
});

async function start(tenant: string): Promise<string> {
  const started = await stack.anonymous.POST('/api/v1/tenants/{tenant}/sso/oidc/start', {
    params: { path: { tenant } },
    body: { redirectUri },
  });
  expect(started.error).toBeUndefined();
  return started.data?.authorizationUrl ?? '';
}

function finish(tenant: string, answer: Record<string, string>) {
  const { code = '', state = '', iss } = answer;
  return stack.anonymous.POST('/api/v1/tenants/{tenant}/sso/oidc/callback', {
    params: { path: { tenant } },
    body: { code, state, ...(iss ? { iss } : {}) },
  });
}

async function usersOf(tenant: string) {
  const c = await stack.auth.components.store.forTenant(tenant);
  return c.users.find({}).toArray();
}

describe('single sign-on with OpenID Connect', () => {
  it('keeps the client secret only sealed, and never shows it', async () => {
    const c = await stack.auth.components.store.forTenant(stack.tenantA);
    const stored = await c.ssoProviders.findOne({ _id: 'oidc' });
    expect(stored?.sealedClientSecret).toBeTruthy();
    expect(JSON.stringify(stored)).not.toContain(secretA);
    expect(Buffer.from(stored?.sealedClientSecret ?? '', 'base64').toString('latin1')).not.toContain(secretA);
    const shown = await adminA.client.GET('/api/v1/admin/sso/oidc');
    expect(shown.data?.issuer).toBe(idpA.issuer);
    expect(JSON.stringify(shown.data)).not.toContain(secretA);
    // A member may not read or change it.
    const member = await stack.user(stack.tenantA);
    expect((await member.client.GET('/api/v1/admin/sso/oidc')).response.status).toBe(403);
  });

  it('creates the user on first sign-in, signs them in, and finds them by subject afterwards', async () => {
    const url = await start(stack.tenantA);
    const parsed = new URL(url);
    expect(parsed.origin).toBe(idpA.issuer);
    expect(parsed.searchParams.get('code_challenge_method')).toBe('S256');
    expect(parsed.searchParams.get('nonce')).toBeTruthy();
    const answer = await idpA.signIn(url, 'alice');
    expect(answer.iss).toBe(idpA.issuer);
    const signedIn = await finish(stack.tenantA, answer);
    expect(signedIn.error).toBeUndefined();
    const me = await stack.client(signedIn.data?.accessToken).GET('/api/v1/me');
    expect(me.data?.email).toBe(`Alice@${stack.tenantA}.example`);
    expect(me.data?.displayName).toBe('Alice Example');
    expect(me.data?.roles).toEqual(['member']);

    const again = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'alice'));
    const meAgain = await stack.client(again.data?.accessToken).GET('/api/v1/me');
    expect(meAgain.data?.id).toBe(me.data?.id);
    const alices = (await usersOf(stack.tenantA)).filter(
      (u) => u.emailKey === `alice@${stack.tenantA}.example`,
    );
    expect(alices).toHaveLength(1);
    expect(alices[0]?.oidcSubjects).toEqual([`${idpA.issuer} alice`]);
    // An account made by single sign-on has no password to guess.
    const password = await stack.anonymous.POST('/api/v1/tenants/{tenant}/login', {
      params: { path: { tenant: stack.tenantA } },
      body: { email: `alice@${stack.tenantA}.example`, password: 'correct horse battery staple' },
    });
    expect(password.response.status).toBe(401);
  });

  it('refuses a tampered state and a state used twice', async () => {
    const answer = await idpA.signIn(await start(stack.tenantA), 'alice');
    const state = answer.state ?? '';
    const tampered = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;
    const refused = await finish(stack.tenantA, { ...answer, state: tampered });
    expect(refused.response.status).toBe(400);
    expect((refused.error as { type?: string }).type).toContain('sso-state-invalid');
    // The real state still works once, and only once.
    expect((await finish(stack.tenantA, answer)).response.status).toBe(200);
    const replayed = await finish(stack.tenantA, answer);
    expect(replayed.response.status).toBe(400);
  });

  it("refuses tenant B's provider's answers at tenant A", async () => {
    const before = (await usersOf(stack.tenantA)).length;
    // B's whole answer (its state, code and issuer) at tenant A: A never made that state.
    const fromB = await idpB.signIn(await start(stack.tenantB), 'alice');
    expect((await finish(stack.tenantA, fromB)).response.status).toBe(400);
    // A's state, with a code and issuer from B's provider (its authorization request carrying
    // A's state): the answer's issuer is not A's provider, with or without the iss parameter.
    for (const withIss of [true, false]) {
      const urlA = new URL(await start(stack.tenantA));
      const urlB = new URL(await start(stack.tenantB));
      urlB.searchParams.set('state', urlA.searchParams.get('state') ?? '');
      const mixed = await idpB.signIn(urlB.href, 'alice');
      const { iss, ...rest } = mixed;
      const refused = await finish(stack.tenantA, withIss ? mixed : rest);
      expect(refused.response.status).toBe(401);
      expect((refused.error as { type?: string }).type).toContain('sso-failed');
      expect(iss).toBeTruthy();
    }
    expect((await usersOf(stack.tenantA)).length).toBe(before);
    // B's provider signs people into tenant B only: tenant A's Alice is untouched by it.
    const inB = await finish(stack.tenantB, await idpB.signIn(await start(stack.tenantB), 'alice'));
    expect(inB.response.status).toBe(200);
    const meB = await stack.client(inB.data?.accessToken).GET('/api/v1/me');
    const aliceA = (await usersOf(stack.tenantA)).find(
      (u) => u.emailKey === `alice@${stack.tenantA}.example`,
    );
    expect(meB.data?.id).not.toBe(aliceA?._id);
    expect(aliceA?.oidcSubjects).toEqual([`${idpA.issuer} alice`]);
  });

  it('refuses an address the provider has not verified, and one outside the tenant’s domains', async () => {
    const before = (await usersOf(stack.tenantA)).length;
    const unverified = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'eve'));
    expect(unverified.response.status).toBe(403);
    expect((unverified.error as { type?: string }).type).toContain('sso-email-unverified');
    const outside = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'outsider'));
    expect(outside.response.status).toBe(403);
    expect((outside.error as { type?: string }).type).toContain('sso-email-domain-not-allowed');
    expect((await usersOf(stack.tenantA)).length).toBe(before);
  });

  it('refuses a redirect URI the tenant did not register', async () => {
    const started = await stack.anonymous.POST('/api/v1/tenants/{tenant}/sso/oidc/start', {
      params: { path: { tenant: stack.tenantA } },
      body: { redirectUri: 'https://attacker.example/steal' },
    });
    expect(started.response.status).toBe(400);
  });

  it("exports the person's linked identity, and erasure unlinks it", async () => {
    const domain = `${stack.tenantA}.example`;
    const c = await stack.auth.components.store.forTenant(stack.tenantA);
    const alice = await c.users.findOne({ emailKey: `alice@${domain}` });
    const exported = await stack.auth.components.personalData.export(c, alice?._id ?? '');
    expect(exported.account?.linkedIdentities).toEqual([`${idpA.issuer} alice`]);
    await stack.auth.components.personalData.erase(
      c,
      alice?._id ?? '',
      { type: 'system', id: 'test' },
      'gdpr-erasure',
    );
    const tombstone = await c.users.findOne({ _id: alice?._id ?? '' });
    expect(tombstone?.status).toBe('deleted');
    expect(tombstone?.oidcSubjects).toBeUndefined();
    expect(tombstone?.knownDevices).toBeUndefined();
    // Signing in again is a new person (a new account), not the erased one brought back.
    const again = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'alice'));
    const me = await stack.client(again.data?.accessToken).GET('/api/v1/me');
    expect(me.data?.id).toBeTruthy();
    expect(me.data?.id).not.toBe(alice?._id);
  });

  it("maps the provider's groups to roles at each sign-in: an admin group makes an admin, leaving it ends that", async () => {
    const mapped = await adminA.client.PUT('/api/v1/admin/sso/oidc', {
      body: {
        issuer: idpA.issuer,
        clientId: 'parley-a',
        clientSecret: secretA,
        redirectUris: [redirectUri],
        allowedEmailDomains: [`${stack.tenantA}.example`],
        roleMappings: [{ group: 'parley-admins', roles: ['admin'] }],
      },
    });
    expect(mapped.data?.roleMappings).toEqual([{ group: 'parley-admins', roles: ['admin'] }]);
    expect(mapped.data?.groupsClaim).toBe('groups');

    const grace = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'grace'));
    expect(grace.response.status).toBe(200);
    const graceClient = stack.client(grace.data?.accessToken);
    expect((await graceClient.GET('/api/v1/me')).data?.roles).toEqual(['member', 'admin']);
    expect((await graceClient.GET('/api/v1/admin/sso/oidc')).response.status).toBe(200);
    const henry = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'henry'));
    const henryClient = stack.client(henry.data?.accessToken);
    expect((await henryClient.GET('/api/v1/me')).data?.roles).toEqual(['member']);
    expect((await henryClient.GET('/api/v1/admin/sso/oidc')).response.status).toBe(403);

    // Grace leaves the group at the provider: her next sign-in makes her a member again, and the
    // session that carried the admin role ends.
    await idpA.setAccount('grace', {
      email: `grace@${stack.tenantA}.example`,
      email_verified: true,
      groups: ['staff'],
    });
    const demoted = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'grace'));
    const demotedClient = stack.client(demoted.data?.accessToken);
    expect((await demotedClient.GET('/api/v1/me')).data?.roles).toEqual(['member']);
    expect((await demotedClient.GET('/api/v1/admin/sso/oidc')).response.status).toBe(403);
    expect((await graceClient.GET('/api/v1/me')).response.status).toBe(401);

    // Tenant B's mapping is B's: B's provider saying "alice is in parley-admins" makes an admin
    // in tenant B only; tenant A's people keep their roles.
    const mappedB = await adminB.client.PUT('/api/v1/admin/sso/oidc', {
      body: {
        issuer: idpB.issuer,
        clientId: 'parley-b',
        clientSecret: secretB,
        redirectUris: [redirectUri],
        allowedEmailDomains: [`${stack.tenantA}.example`],
        roleMappings: [{ group: 'parley-admins', roles: ['admin'] }],
      },
    });
    expect(mappedB.response.status).toBe(200);
    await idpB.setAccount('henry', {
      email: `henry@${stack.tenantA}.example`,
      email_verified: true,
      groups: ['parley-admins'],
    });
    const inB = await finish(stack.tenantB, await idpB.signIn(await start(stack.tenantB), 'henry'));
    const meB = await stack.client(inB.data?.accessToken).GET('/api/v1/me');
    expect(meB.data?.roles).toEqual(['member', 'admin']);
    const c = await stack.auth.components.store.forTenant(stack.tenantA);
    const henryA = await c.users.findOne({ emailKey: `henry@${stack.tenantA}.example` });
    expect(henryA?.roles).toEqual(['member']);
    expect(meB.data?.id).not.toBe(henryA?._id);
    expect((await henryClient.GET('/api/v1/me')).data?.roles).toEqual(['member']);
  });

  it('a tenant that requires single sign-on refuses password sign-in, except its break-glass admin', async () => {
    const member = await stack.user(stack.tenantA);
    const settingsA = (extra: object) => ({
      issuer: idpA.issuer,
      clientId: 'parley-a',
      clientSecret: secretA,
      redirectUris: [redirectUri],
      allowedEmailDomains: [`${stack.tenantA}.example`],
      ...extra,
    });
    const put = (extra: object) => adminA.client.PUT('/api/v1/admin/sso/oidc', { body: settingsA(extra) });
    const typeOf = (answer: { error?: unknown }) => (answer.error as { type?: string } | undefined)?.type;
    // Never without a way back in, and the break-glass admin must be an admin of this tenant
    // with a password: tenant B's admin is not found here, a member is no admin.
    expect(typeOf(await put({ requireSso: true }))).toMatch(/break-glass-required$/);
    expect(typeOf(await put({ requireSso: true, breakGlassUserIds: [adminB.userId] }))).toMatch(
      /break-glass-invalid$/,
    );
    expect(typeOf(await put({ requireSso: true, breakGlassUserIds: [member.userId] }))).toMatch(
      /break-glass-invalid$/,
    );
    const required = await put({ requireSso: true, breakGlassUserIds: [adminA.userId] });
    expect(required.data).toMatchObject({ requireSso: true, breakGlassUserIds: [adminA.userId] });

    const login = (tenant: string, email: string, password: string) =>
      stack.anonymous.POST('/api/v1/tenants/{tenant}/login', {
        params: { path: { tenant } },
        body: { email, password },
      });
    // Everyone else gets one answer: the right password, a wrong one, an unknown address.
    for (const [email, password] of [
      [member.email, PASSWORD],
      [member.email, 'not the password at all'],
      [`nobody@${stack.tenantA}.example`, PASSWORD],
      [adminA.email, 'not the password at all'],
    ] as const) {
      const refused = await login(stack.tenantA, email, password);
      expect(refused.response.status).toBe(403);
      expect(typeOf(refused)).toMatch(/sso-required$/);
    }
    const breakGlass = await login(stack.tenantA, adminA.email, PASSWORD);
    expect(breakGlass.response.status).toBe(200);
    expect(breakGlass.data && 'accessToken' in breakGlass.data).toBe(true);
    // Single sign-on still signs people in; tenant B's passwords are not affected.
    const henry = await finish(stack.tenantA, await idpA.signIn(await start(stack.tenantA), 'henry'));
    expect(henry.response.status).toBe(200);
    const inB = await stack.user(stack.tenantB);
    expect((await login(stack.tenantB, inB.email, PASSWORD)).response.status).toBe(200);

    // Turned off again: the member's password works.
    expect((await put({ requireSso: false })).data?.requireSso).toBe(false);
    expect((await login(stack.tenantA, member.email, PASSWORD)).response.status).toBe(200);
  });

  it('audits failed sign-ins and settings changes', async () => {
    const c = await stack.auth.components.store.forTenant(stack.tenantA);
    const failures = await c.securityEvents.find({ action: 'auth.security.sso-login-failed' }).toArray();
    expect(failures.length).toBeGreaterThanOrEqual(4);
    const settings = await c.ssoProviders.findOne({ _id: 'oidc' });
    expect(JSON.stringify(settings)).toContain('auth.security.sso-settings-changed');
  });
});
