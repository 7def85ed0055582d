/**
 * A tenant admin's page in headless Chromium against the real stack (web-stack.ts): inviting
 * someone with roles, changing a member's roles, suspending and reactivating them, each checked
 * again after a reload (the server kept it, not only the page), axe-core on the page, and the
 * admin screenshot; single sign-on set in the page against a real OpenID provider (oidc-provider,
 * its own process) and removed, and a SCIM token made in the page that the SCIM API accepts until
 * it is revoked there; a compliance officer's legal hold placed, listed and lifted on the
 * compliance page (and its screenshot).
 */
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { PASSWORD } from '@parley/auth-service/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp } from './oidc-idp-process.ts';
import { openWebStack, screenshotsDir, type WebStack } from './web-stack.ts';

let web: WebStack;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // The test's OpenID provider listens on 127.0.0.1 over http: allowed for this auth only.
  web = await openWebStack({
    authPolicy: {
      oidc: { stateTtlSeconds: 300, allowHttpIssuers: true, issuerAllowedNetworks: '127.0.0.1/32' },
    },
  });
}, 240_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await web?.close();
});

async function adminPage(email: string): Promise<Page> {
  const context = await web.browser.newContext({ viewport: { width: 1200, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${web.url}/#/sign-in?tenant=${web.tenant}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 15_000 });
  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await page.getByRole('heading', { name: 'People' }).waitFor();
  return page;
}

describe('the admin page', () => {
  it('invites with roles, changes roles, suspends and reactivates; the server keeps each', async () => {
    const admin = await web.stack.user(web.tenant, ['admin']);
    const pat = await web.stack.user(web.tenant);
    const page = await adminPage(admin.email);

    // Invitation with a role: the page shows it as sent (and the link while mail is not set up).
    const invited = `invited-${Date.now()}@example.com`;
    await page.getByLabel('Email', { exact: true }).fill(invited);
    await page.locator('#invite-compliance-officer').check();
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText(`${invited} is invited.`).waitFor({ timeout: 15_000 });

    // Roles: Pat becomes a compliance officer too.
    const row = page.locator(`tr[data-user="${pat.userId}"]`);
    await row.waitFor({ timeout: 15_000 });
    await row.locator(`#roles-${pat.userId}-compliance-officer`).check();
    await row.getByRole('button', { name: 'Save roles' }).click();
    await expect
      .poll(() => row.getByRole('button', { name: 'Save roles' }).count(), { timeout: 15_000 })
      .toBe(0);

    // Suspension.
    await row.getByRole('button', { name: 'Suspend' }).click();
    await row.getByRole('button', { name: 'Reactivate' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('suspended');

    await expectAccessible(page);
    await page.screenshot({ path: join(screenshotsDir, 'admin.png'), fullPage: true });

    // After a reload the server's state shows: the role kept, the suspension kept.
    await page.reload();
    await page.getByRole('heading', { name: 'People' }).waitFor();
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator(`#roles-${pat.userId}-compliance-officer`).isChecked()).toBe(true);
    expect(await row.locator('td').nth(2).textContent()).toBe('suspended');
    await row.getByRole('button', { name: 'Reactivate' }).click();
    await row.getByRole('button', { name: 'Suspend' }).waitFor({ timeout: 15_000 });
    await page.reload();
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('td').nth(2).textContent()).toBe('active');
  }, 120_000);
});

describe('single sign-on and SCIM on the admin page', () => {
  it('sets the OpenID provider (checked by discovery), shows it after a reload without the secret, and removes it', async () => {
    const redirectUri = `${web.url}/sso/callback`;
    const secret = `idp-secret-${Date.now()}`;
    const idp = await startIdp(
      [{ client_id: 'parley-web', client_secret: secret, redirect_uris: [redirectUri] }],
      {},
    );
    try {
      const admin = await web.stack.user(web.tenant, ['admin']);
      const page = await adminPage(admin.email);
      await page.getByText('No single sign-on provider is set.').waitFor();
      await page.getByLabel('Issuer URL').fill(idp.issuer);
      await page.getByLabel('Client ID').fill('parley-web');
      await page.getByLabel('Client secret').fill(secret);
      await page.getByLabel('Redirect URIs').fill(redirectUri);
      await page.getByLabel('Allowed email domains').fill(`${web.tenant}.example`);
      await page.getByRole('button', { name: 'Save single sign-on' }).click();
      await page.getByText(`Single sign-on through ${idp.issuer} is set.`).waitFor({ timeout: 15_000 });
      const stored = await admin.client.GET('/api/v1/admin/sso/oidc');
      expect(stored.data).toMatchObject({
        issuer: idp.issuer,
        clientId: 'parley-web',
        redirectUris: [redirectUri],
        allowedEmailDomains: [`${web.tenant}.example`],
      });
      await expectAccessible(page, 'admin page with single sign-on set');

      await page.reload();
      await page
        .getByText(`Now: ${idp.issuer} (client parley-web)`, { exact: false })
        .waitFor({ timeout: 15_000 });
      expect(await page.getByLabel('Client secret').inputValue()).toBe('');
      expect(await page.content()).not.toContain(secret);

      await page.getByRole('button', { name: 'Remove single sign-on' }).click();
      await page.getByText('No single sign-on provider is set.').waitFor({ timeout: 15_000 });
      expect((await admin.client.GET('/api/v1/admin/sso/oidc')).response.status).toBe(404);

      // An issuer that does not answer discovery is refused with the reason, and nothing is set.
      await page.getByLabel('Issuer URL').fill('http://127.0.0.1:9/');
      await page.getByLabel('Client ID').fill('parley-web');
      await page.getByLabel('Client secret').fill(secret);
      await page.getByLabel('Allowed email domains').fill(`${web.tenant}.example`);
      await page.getByRole('button', { name: 'Save single sign-on' }).click();
      await expect.poll(() => page.locator('#sso-error').textContent(), { timeout: 15_000 }).toMatch(/\S/);
      expect((await admin.client.GET('/api/v1/admin/sso/oidc')).response.status).toBe(404);
    } finally {
      await idp.stop();
    }
  }, 120_000);

  it('makes a SCIM token shown once, which the SCIM API accepts, lists it by prefix and last use, and revokes it from the list', async () => {
    const admin = await web.stack.user(web.tenant, ['admin']);
    const page = await adminPage(admin.email);
    const scimUsers = (token: string) =>
      fetch(`${web.url}/api/v1/tenants/${web.tenant}/scim/v2/Users`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.status);
    expect(await page.getByLabel('SCIM base URL').inputValue()).toBe(
      `${web.url}/api/v1/tenants/${web.tenant}/scim/v2`,
    );
    await page.getByRole('button', { name: 'New SCIM token' }).click();
    const field = page.getByLabel('New token (shown once)');
    await field.waitFor({ timeout: 15_000 });
    const token = await field.inputValue();
    expect(token).toMatch(/^scim_/);
    expect(await scimUsers(token)).toBe(200);
    await expectAccessible(page, 'admin page with a new SCIM token');

    // Listed by its prefix with its last use (the call above), never the token itself.
    const listed = await admin.client.GET('/api/v1/admin/scim/tokens');
    const mine = listed.data?.tokens.find((t) => t.prefix === token.slice(0, 11));
    if (!mine) throw new Error(`the new token is not listed: ${JSON.stringify(listed.data)}`);
    const row = page.locator(`tr[data-token="${mine.id}"]`);
    await page.reload();
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('code').textContent()).toBe(`${token.slice(0, 11)}…`);
    expect(await row.locator('.last-used').textContent()).not.toBe('never');
    expect(await page.content()).not.toContain(token);
    await expectAccessible(page, 'admin page with the SCIM token list');

    await row.getByRole('button', { name: `Revoke token ${token.slice(0, 11)}` }).click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    expect(await scimUsers(token)).toBe(401);
    const after = await admin.client.GET('/api/v1/admin/scim/tokens');
    expect(after.data?.tokens.map((t) => t.id)).not.toContain(mine.id);
  }, 120_000);
});

describe('the compliance page', () => {
  it('a compliance officer places a legal hold on a person, sees it listed, and lifts it; the server keeps each', async () => {
    const officer = await web.stack.user(web.tenant, ['compliance-officer']);
    const held = await web.stack.user(web.tenant);
    const context = await web.browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${web.url}/#/sign-in?tenant=${web.tenant}`);
    await page.getByLabel('Email').fill(officer.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Compliance', exact: true }).click({ timeout: 15_000 });
    await page.getByRole('heading', { name: 'Legal holds' }).waitFor();

    const reason = `matter ${Date.now()}`;
    await page.getByLabel('Hold on').selectOption('person');
    await page.getByLabel('User id').fill(held.userId);
    await page.getByLabel('Reason (matter, case number)').fill(reason);
    await page.getByRole('button', { name: 'Place hold' }).click();
    const row = page.locator('tr[data-hold]', { hasText: reason });
    await row.waitFor({ timeout: 15_000 });
    const listed = await officer.client.GET('/api/v1/admin/legal-holds');
    const hold = listed.data?.holds.find((h) => h.reason === reason);
    expect(hold?.scope).toEqual({ kind: 'person', userId: held.userId });
    expect(hold?.setBy).toBe(`user:${officer.userId}`);
    await expectAccessible(page);
    await page.screenshot({ path: join(screenshotsDir, 'compliance.png'), fullPage: true });

    await row.getByPlaceholder('Why lift it').fill('matter closed');
    await row.getByRole('button', { name: 'Lift' }).click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    await page.getByLabel('Show lifted holds too').check();
    await expect
      .poll(() => page.locator('tr[data-hold]', { hasText: reason }).textContent(), { timeout: 15_000 })
      .toContain('matter closed');
    const after = await officer.client.GET('/api/v1/admin/legal-holds', {
      params: { query: { includeLifted: true } },
    });
    expect(after.data?.holds.find((h) => h.reason === reason)?.liftReason).toBe('matter closed');
  }, 120_000);
});

async function expectAccessible(page: Page, label = 'admin') {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`),
  ).toEqual([]);
}
