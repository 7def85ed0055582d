/**
 * The web client in headless Chromium against real servers (tests/integration/web-stack.ts):
 * the gateway serves it with a strict CSP and cacheable hashed assets; a person signs in with a
 * TOTP code computed here (a wrong one is refused in words); two people in two browser contexts
 * exchange, edit, delete and react to messages; axe-core finds no serious or critical violation
 * on the pages; the chat works on a phone-sized screen. Screenshots go to docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import {
  generateSigningKeyPem,
  type ProofBundle,
  signCheckpoint,
  signingKeyFromPem,
} from '@parley/audit-chain';
import { PASSWORD, SERVICE_TOKEN } from '@parley/auth-service/testing';
import { mongoDatabaseName } from '@parley/tenancy';
import { generate } from 'otplib';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedIn } from './gateway-stack.ts';
import { openWebStack, screenshotsDir, type WebStack } from './web-stack.ts';

let web: WebStack;
let alice: SignedIn;
let bob: SignedIn;
let aliceSecret: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  web = await openWebStack();
  mkdirSync(screenshotsDir, { recursive: true });
  [alice, bob] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
  const enrolled = await alice.client.POST('/api/v1/me/mfa/totp', { body: { password: PASSWORD } });
  aliceSecret = enrolled.data?.secret ?? '';
  const confirmed = await alice.client.POST('/api/v1/me/mfa/totp/confirm', {
    body: { code: await generate({ secret: aliceSecret }) },
  });
  if (!confirmed.data) throw new Error(`TOTP enrolment failed: ${JSON.stringify(confirmed.error)}`);
}, 240_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await web?.close();
});

async function newPage(viewport = { width: 1200, height: 800 }): Promise<Page> {
  const context = await web.browser.newContext({ viewport, colorScheme: 'light' });
  contexts.push(context);
  return context.newPage();
}

async function expectAccessible(page: Page, label: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`),
  ).toEqual([]);
}

/** The next TOTP window, so the code at sign-in is not the one spent on enrolment. */
async function freshTotp(): Promise<string> {
  const intoWindow = Date.now() % 30_000;
  await new Promise((resolve) => setTimeout(resolve, 30_000 - intoWindow + 1_000));
  return generate({ secret: aliceSecret });
}

async function signInWithPassword(page: Page, who: SignedIn) {
  await page.goto(`${web.url}/#/sign-in?tenant=${web.tenant}`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the gateway serves the web client', () => {
  it('at / with a strict CSP, index revalidated, hashed assets immutable', async () => {
    const index = await fetch(`${web.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await index.text();
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${web.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // The API keeps its own, stricter policy.
    const api = await fetch(`${web.url}/api/v1/me`);
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    // Nothing but the built files: no directory listing, no source.
    const source = await fetch(`${web.url}/src/main.tsx`);
    expect(source.ok).toBe(false);
    expect(await source.text()).not.toContain('render(');
  });
});

describe('live delivery', () => {
  // First in the file: no other page connects meanwhile, so the gateway's round-robin puts the
  // two people's sockets on the two replicas.
  it('a message sent in one browser context appears in the other without a reload, over the socket (no polling), each on its own replica', async () => {
    const [dave, erin] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
    const created = await dave.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'Live wire', memberIds: [erin.userId] },
    });
    const other = await dave.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'Side room', memberIds: [erin.userId] },
    });
    const conversationId = created.data?.id ?? '';
    expect(conversationId).not.toBe('');

    const pages: Record<string, Page> = {};
    const problems: string[] = [];
    const sockets: string[] = [];
    for (const [name, who] of [
      ['dave', dave],
      ['erin', erin],
    ] as const) {
      const page = await newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('websocket', (ws) => sockets.push(`${name} ${ws.url()}`));
      await signInWithPassword(page, who);
      await page.getByRole('link', { name: 'Live wire' }).click();
      await page.getByLabel('Message Live wire').waitFor();
      await page.locator('[data-live="true"]').waitFor({ timeout: 20_000 });
      pages[name] = page;
    }
    const davePage = pages.dave as Page;
    const erinPage = pages.erin as Page;
    // Through the gateway's own origin (the page's CSP allows nothing else), one socket each.
    const origin = web.url.replace(/^http/, 'ws');
    expect(sockets.map((s) => s.split(' ')[0])).toEqual(['dave', 'erin']);
    for (const s of sockets) expect(s.split(' ')[1]).toMatch(new RegExp(`^${origin}/socket\\.io/`));
    const holders = (userId: string) =>
      web.replicas.flatMap((r, i) =>
        [...r.replica.io.of('/').sockets.values()].some((s) => s.data.identity?.userId === userId) ? [i] : [],
      );
    expect(holders(dave.userId)).toHaveLength(1);
    expect(holders(erin.userId)).toHaveLength(1);
    expect(holders(dave.userId)).not.toEqual(holders(erin.userId));

    // From here on nothing may poll: whatever Erin sees comes over the socket.
    const polls: string[] = [];
    erinPage.on('request', (r) => {
      if (/\/changes\b|\/api\/v1\/conversations\?/.test(r.url())) polls.push(r.url());
    });
    const composer = davePage.getByLabel('Message Live wire');
    await composer.fill('Is this thing on?');
    await composer.press('Enter');
    const erinMessages = erinPage.getByRole('list', { name: 'Messages' });
    const sentAt = Date.now();
    await expect.poll(() => erinMessages.getByText('Is this thing on?').count(), { timeout: 10_000 }).toBe(1);
    const latencyMs = Date.now() - sentAt;

    // And back, with a reaction and an edit, live both ways.
    await erinPage.getByLabel('Message Live wire').fill('Loud and clear');
    await erinPage.getByRole('button', { name: 'Send' }).click();
    const daveMessages = davePage.getByRole('list', { name: 'Messages' });
    await expect.poll(() => daveMessages.getByText('Loud and clear').count(), { timeout: 10_000 }).toBe(1);
    await erinMessages
      .locator('li', { hasText: 'Is this thing on?' })
      .getByRole('button', { name: 'React with 🎉' })
      .click();
    await expect
      .poll(
        () =>
          daveMessages
            .locator('li', { hasText: 'Is this thing on?' })
            .getByRole('button', { name: /🎉 1/ })
            .count(),
        {
          timeout: 10_000,
        },
      )
      .toBe(1);

    // A conversation Erin has not open: her list counts it unread, read again because of the
    // live change (the list polls only while the socket is down).
    await dave.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId: other.data?.id ?? '' } },
      body: { clientMessageId: `live-side-${Date.now()}`, text: 'Over here too' },
    });
    const erinList = erinPage.getByRole('navigation', { name: 'Conversations' });
    await expect
      .poll(() => erinList.getByRole('link', { name: /Side room, 1 unread/ }).count(), { timeout: 10_000 })
      .toBe(1);

    expect(polls.filter((url) => url.includes('/changes'))).toEqual([]);
    expect(problems.filter((p) => /Content Security Policy|Refused|WebSocket/i.test(p))).toEqual([]);
    console.info(`live delivery, send to shown in the other context: ${latencyMs} ms`);
  }, 120_000);
});

describe('sign-in', () => {
  it('asks for the TOTP code after the password, refuses a wrong one clearly, accepts the right one', async () => {
    const page = await newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${web.url}/#/sign-in?tenant=${web.tenant}`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Parley' }).count()).toBe(1);
    await expectAccessible(page, 'sign-in');
    await page.screenshot({ path: join(screenshotsDir, 'sign-in.png') });

    await signInWithPassword(page, alice);
    const code = page.getByLabel('Code from your authenticator app');
    await code.waitFor();
    await expectAccessible(page, 'sign-in code');
    await code.fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 })
      .toContain('That code is not valid');

    await code.fill(await freshTotp());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 15_000 });
    // No CSP refusal or script error on the way.
    expect(problems.filter((p) => /Content Security Policy|Refused/i.test(p))).toEqual([]);
  }, 120_000);

  it('refuses a wrong password with the reason', async () => {
    const page = await newPage();
    await page.goto(`${web.url}/#/sign-in?tenant=${web.tenant}`);
    await page.getByLabel('Email').fill(bob.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).not.toBe('');
  });
});

describe('chat between two people', () => {
  it('delivers, edits, deletes and reacts across two browser contexts; unread counts show', async () => {
    const created = await alice.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'Launch plans', memberIds: [bob.userId] },
    });
    const conversationId = created.data?.id ?? '';
    expect(conversationId).not.toBe('');

    const bobPage = await newPage();
    await signInWithPassword(bobPage, bob);
    const bobList = bobPage.getByRole('navigation', { name: 'Conversations' });
    await bobList.getByRole('link', { name: 'Launch plans' }).waitFor({ timeout: 15_000 });

    // Alice signs in (MFA) and opens the conversation.
    const alicePage = await newPage();
    await signInWithPassword(alicePage, alice);
    await alicePage.getByLabel('Code from your authenticator app').fill(await freshTotp());
    await alicePage.getByRole('button', { name: 'Verify' }).click();
    await alicePage.getByRole('link', { name: 'Launch plans' }).click();
    const aliceComposer = alicePage.getByLabel('Message Launch plans');
    await aliceComposer.fill('Hello Bob, the launch is on Friday');
    await aliceComposer.press('Enter');
    // Shown at once (optimistic), then confirmed: one copy.
    const aliceMessages = alicePage.getByRole('list', { name: 'Messages' });
    await expect.poll(() => aliceMessages.getByText('Hello Bob, the launch is on Friday').count()).toBe(1);
    await expect.poll(() => aliceMessages.locator('.pending').count(), { timeout: 15_000 }).toBe(0);

    // Bob's list counts it unread before he opens it.
    await expect
      .poll(() => bobList.getByRole('link', { name: /Launch plans, 1 unread/ }).count(), { timeout: 15_000 })
      .toBe(1);
    await bobList.getByRole('link', { name: /Launch plans/ }).click();
    const bobMessages = bobPage.getByRole('list', { name: 'Messages' });
    await expect
      .poll(() => bobMessages.getByText('Hello Bob, the launch is on Friday').count(), { timeout: 15_000 })
      .toBe(1);
    await bobPage.getByLabel('Message Launch plans').fill('Great, I will tell the team');
    await bobPage.getByRole('button', { name: 'Send' }).click();
    await expect
      .poll(() => aliceMessages.getByText('Great, I will tell the team').count(), { timeout: 15_000 })
      .toBe(1);

    // Bob reacts to Alice's message; Alice sees the count.
    const bobsView = bobMessages.locator('li', { hasText: 'Hello Bob, the launch is on Friday' });
    await bobsView.getByRole('button', { name: 'React with 👍' }).click();
    const alicesView = aliceMessages.locator('li', { hasText: 'Hello Bob' });
    await expect
      .poll(() => alicesView.getByRole('button', { name: /👍 1/ }).count(), { timeout: 15_000 })
      .toBe(1);

    // Alice edits; Bob sees the new text, marked edited.
    await alicesView.getByRole('button', { name: 'Edit' }).click();
    await alicePage.getByLabel('Edit message').fill('Hello Bob, the launch moved to Monday');
    await alicePage.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => bobMessages.getByText('Hello Bob, the launch moved to Monday').count(), { timeout: 15_000 })
      .toBe(1);
    expect(await bobMessages.getByText('(edited)').count()).toBe(1);

    // A member is not offered the audit log.
    expect(await alicePage.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await expectAccessible(alicePage, 'chat');
    await alicePage.screenshot({ path: join(screenshotsDir, 'chat.png') });

    // Bob deletes his own message; Alice sees the tombstone and the text is gone.
    await bobMessages
      .locator('li', { hasText: 'Great, I will tell the team' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await expect
      .poll(() => aliceMessages.getByText('This message was deleted.').count(), { timeout: 15_000 })
      .toBe(1);
    expect(await aliceMessages.getByText('Great, I will tell the team').count()).toBe(0);

    // On the server: one message per send (the optimistic send made no duplicate).
    const history = await alice.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
    });
    expect(history.data?.messages.map((m) => [m.text ?? null, m.deleted])).toEqual([
      ['Hello Bob, the launch moved to Monday', false],
      [null, true],
    ]);

    // A phone-sized screen: the conversation fills it, the list is one tap away.
    const phone = await newPage({ width: 390, height: 844 });
    await signInWithPassword(phone, bob);
    await phone.getByRole('link', { name: /Launch plans/ }).click();
    await phone.getByLabel('Message Launch plans').waitFor();
    expect(await phone.getByRole('navigation', { name: 'Conversations' }).isVisible()).toBe(false);
    const composerBox = await phone.getByLabel('Message Launch plans').boundingBox();
    expect(composerBox && composerBox.x + composerBox.width).toBeLessThanOrEqual(390);
    await expectAccessible(phone, 'chat on a phone');
    await phone.screenshot({ path: join(screenshotsDir, 'chat-phone.png') });
    await phone.getByRole('link', { name: '← Conversations' }).click();
    await phone.getByRole('navigation', { name: 'Conversations' }).waitFor();
  }, 180_000);
});

describe('an invitation', () => {
  it('is accepted in the browser with a name and a password, then the person signs in', async () => {
    const email = `invited-${Date.now().toString(36)}@${web.tenant}.example`;
    const invited = await web.stack.auth.app.inject({
      method: 'POST',
      url: `/v1/internal/tenants/${web.tenant}/invitations`,
      headers: { 'x-service-token': SERVICE_TOKEN },
      payload: { email, roles: ['member'] },
    });
    expect(invited.statusCode).toBe(201);
    const token = invited.json().token as string;

    const page = await newPage();
    await page.goto(`${web.url}/#/invitation?tenant=${web.tenant}&token=${encodeURIComponent(token)}`);
    await page.getByRole('heading', { name: `Join ${web.tenant} on Parley` }).waitFor();
    await expectAccessible(page, 'invitation');
    await page.getByLabel('Your name').fill('Dana Invited');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the password').fill('different');
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    // The browser's own validation (minlength) or the page's refuses; nothing is accepted yet.
    expect(await page.getByRole('heading', { name: 'Sign in to Parley' }).count()).toBe(0);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.screenshot({ path: join(screenshotsDir, 'invitation.png') });
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor({ timeout: 15_000 });
    expect(await page.getByLabel('Organisation').inputValue()).toBe(web.tenant);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 15_000 });

    // The same token cannot be used twice.
    const again = await newPage();
    await again.goto(`${web.url}/#/invitation?tenant=${web.tenant}&token=${encodeURIComponent(token)}`);
    await again.getByLabel('Your name').fill('Someone Else');
    await again.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await again.getByLabel('Repeat the password').fill(PASSWORD);
    await again.getByRole('button', { name: 'Set password and continue' }).click();
    await expect.poll(() => again.getByRole('alert').textContent(), { timeout: 15_000 }).not.toBe('');
  }, 120_000);
});

describe('a network drop', () => {
  it('is caught up without a reload: five messages sent meanwhile show once each, in order', async () => {
    const carol = await web.stack.user(web.tenant);
    const created = await bob.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'Night shift', memberIds: [carol.userId] },
    });
    const conversationId = created.data?.id ?? '';
    const carolPage = await newPage();
    await signInWithPassword(carolPage, carol);
    await carolPage.getByRole('link', { name: /Night shift/ }).click();
    const carolMessages = carolPage.getByRole('list', { name: 'Messages' });
    await carolPage.getByLabel('Message Night shift').waitFor();

    await carolPage.context().setOffline(true);
    const texts = [1, 2, 3, 4, 5].map((n) => `status report ${n}`);
    for (const text of texts) {
      const sent = await bob.client.POST('/api/v1/conversations/{conversationId}/messages', {
        params: { path: { conversationId } },
        body: { clientMessageId: `offline-${text.replace(/ /g, '-')}`, text },
      });
      expect(sent.response.status).toBe(201);
    }
    // Still offline: nothing arrived.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await carolMessages.getByText(/status report/).count()).toBe(0);

    await carolPage.context().setOffline(false);
    await expect
      .poll(() => carolMessages.getByText(/status report/).allTextContents(), { timeout: 20_000 })
      .toEqual(texts);
    // And a while later still once each (the polling keeps going and merges by id).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await carolMessages.getByText(/status report/).allTextContents()).toEqual(texts);
  }, 120_000);
});

describe('the audit log', () => {
  it('a compliance officer verifies it in the browser (green); after one record is edited in the database, Verify names it (red)', async () => {
    const officer = await web.stack.user(web.tenant, ['compliance-officer']);
    const page = await newPage();
    await signInWithPassword(page, officer);
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.locator('tbody tr');
    // The earlier tests' sign-ins and sends are audited (asynchronously): wait for some.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Filter' }).click();
          await page.waitForTimeout(500);
          return rows.count();
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(1);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent(), { timeout: 15_000 })
      .toMatch(
        /Verified in this browser: \d+ records, every hash and link holds; \d+ proved in the log's tree against signed checkpoints of size [\d, ]+ \(key \S+, as published at \/audit\/signing-keys\)/,
      );
    await expectAccessible(page, 'audit log');
    await page.screenshot({ path: join(screenshotsDir, 'audit-log.png') });

    // A proof bundle whose checkpoints another key signed (and which carries that key, under the
    // real key's id) holds on its own terms; checked against the published keys, it fails.
    const forger = signingKeyFromPem(generateSigningKeyPem());
    await page.route('**/api/v1/admin/audit/proofs?*', async (route) => {
      const bundle = (await (await route.fetch()).json()) as ProofBundle;
      const forged: ProofBundle = {
        ...bundle,
        keys: bundle.keys.map((k) => ({ keyId: k.keyId, publicKey: forger.publicKeyDer })),
        checkpoints: bundle.checkpoints.map(({ signature: _, ...body }) =>
          signCheckpoint(body, forger.privateKey),
        ),
      };
      await route.fulfill({ json: forged });
    });
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent(), { timeout: 15_000 })
      .toMatch(/Verification fails: checkpoint size \d+: Ed25519 signature/);
    await page.unrouteAll();

    const listed = await officer.client.GET('/api/v1/admin/audit/records', {
      params: { query: { limit: 100 } },
    });
    const target = listed.data?.records.find((r) => !r.pruned && r.action);
    expect(target).toBeDefined();
    const records = web.stack.messaging.mongo.client
      .db(mongoDatabaseName(web.tenant))
      .collection('audit_records');
    const edited = await records.updateOne(
      { sequence: target?.sequence },
      { $set: { action: 'nothing.happened' } },
    );
    expect(edited.modifiedCount).toBe(1);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByText('nothing.happened').count(), { timeout: 15_000 }).toBe(1);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent(), { timeout: 15_000 })
      .toContain(`Record ${target?.sequence} fails: its content does not match its hash`);
  }, 120_000);
});
