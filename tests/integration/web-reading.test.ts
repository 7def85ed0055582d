/**
 * Reading and sending in a conversation, in headless Chromium against the real stack (web-stack.ts
 * with the media service): a conversation opens at its first unread message, marked by a "New
 * messages" divider after the person's read pointer (set through the API the page uses), and a
 * conversation with more unread than its latest page offers "Jump to first unread", which reads
 * back to it. A file refused because the organisation's storage is full (the tenant's runtime
 * quota set to nothing, as the operator would write it) is named with a Retry; once the quota is
 * back, Retry uploads the same file and it is sent.
 */
import AxeBuilder from '@axe-core/playwright';
import { tenantRuntimeKey } from '@parley/tenancy';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedIn } from './gateway-stack.ts';
import { openWebStack, signedInPage as signInAs, type WebStack } from './web-stack.ts';

let web: WebStack;
let ann: SignedIn;
let ben: SignedIn;

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);

beforeAll(async () => {
  web = await openWebStack({ media: true });
  [ann, ben] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
}, 240_000);

afterAll(async () => {
  await web?.close();
});

const signedInPage = (who: SignedIn) => signInAs(web, who);

async function expectAccessible(page: Page, label: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`),
  ).toEqual([]);
}

async function group(name: string): Promise<string> {
  const created = await ann.client.POST('/api/v1/conversations', {
    body: { kind: 'group', name, memberIds: [ben.userId] },
  });
  if (!created.data) throw new Error(`no conversation: ${JSON.stringify(created.error)}`);
  return created.data.id;
}

/** Ann's messages, one after the other (so their order is the texts'); the last one's seq. */
async function send(conversationId: string, texts: string[]): Promise<number> {
  let seq = 0;
  for (const text of texts) {
    const answer = await ann.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: `reading-${conversationId}-${text.replace(/\s/g, '-')}`, text },
    });
    expect(answer.response.status).toBe(201);
    seq = answer.data?.seq ?? 0;
  }
  return seq;
}

const numbered = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix} ${String(i + 1).padStart(2, '0')}`);

/** Ben read up to seq, as the page itself reports it. */
async function benRead(conversationId: string, seq: number): Promise<void> {
  const answer = await ben.client.PUT('/api/v1/conversations/{conversationId}/read', {
    params: { path: { conversationId } },
    body: { seq },
  });
  expect(answer.data?.readSeq).toBe(seq);
}

/** Whether an element is within the list's visible part (not merely in the document). */
async function inView(list: Locator, item: Locator): Promise<boolean> {
  const [box, itemBox] = await Promise.all([list.boundingBox(), item.boundingBox()]);
  if (!box || !itemBox) return false;
  return itemBox.y >= box.y - 1 && itemBox.y + itemBox.height <= box.y + box.height + 1;
}

/** The texts of the messages just before and just after the divider. */
const around = (divider: Locator) =>
  Promise.all([
    divider.locator('xpath=preceding-sibling::li[1]').locator('p.text').textContent(),
    divider.locator('xpath=following-sibling::li[1]').locator('p.text').textContent(),
  ]);

describe('the first unread message', () => {
  it('a conversation opens at a "New messages" divider after the read pointer, scrolled to it, and the pointer moves', async () => {
    const conversationId = await group('Reading room');
    const lastRead = await send(conversationId, numbered('read', 10));
    await benRead(conversationId, lastRead);
    const last = await send(conversationId, numbered('new', 35));

    const page = await signedInPage(ben);
    await page.getByRole('link', { name: /Reading room/ }).click();
    const list = page.getByRole('list', { name: 'Messages' });
    const divider = list.locator('li.unread-divider');
    await divider.waitFor({ timeout: 15_000 });
    expect(await divider.textContent()).toBe('New messages');
    expect(await around(divider)).toEqual(['read 10', 'new 01']);
    // Opened at the divider, not at the end (35 messages do not fit in the list).
    await expect.poll(() => inView(list, divider), { timeout: 5_000 }).toBe(true);
    expect(await inView(list, list.locator('li[data-seq]', { hasText: 'new 35' }))).toBe(false);
    expect(await page.getByText('Jump to first unread').count()).toBe(0);
    // Ann by her display name (stack.user accepts with the e-mail's local part), not her id.
    expect(await list.locator('li[data-seq]', { hasText: 'new 01' }).locator('.sender').textContent()).toBe(
      ann.email.split('@')[0],
    );
    await expectAccessible(page, 'conversation opened at the first unread');

    // What the page showed is read: opened again, it has no divider.
    await expect
      .poll(
        async () =>
          (
            await ben.client.GET('/api/v1/conversations/{conversationId}', {
              params: { path: { conversationId } },
            })
          ).data?.membership?.readSeq,
        { timeout: 15_000 },
      )
      .toBe(last);
    await page.reload();
    await list.locator('li[data-seq]', { hasText: 'new 35' }).waitFor({ timeout: 15_000 });
    expect(await divider.count()).toBe(0);
  }, 120_000);

  it('more unread than the latest page: "Jump to first unread" reads back to the divider and focuses it', async () => {
    const conversationId = await group('Backlog');
    const lastRead = await send(conversationId, numbered('old', 3));
    await benRead(conversationId, lastRead);
    await send(conversationId, numbered('unread', 60));

    const page = await signedInPage(ben);
    await page.getByRole('link', { name: /Backlog/ }).click();
    const list = page.getByRole('list', { name: 'Messages' });
    const shown = () => list.locator('li[data-seq] p.text').allTextContents();
    await expect.poll(async () => (await shown()).length, { timeout: 15_000 }).toBe(50);
    // The latest page starts inside the unread ones: no divider in a wrong place, a way back instead.
    const jump = page.getByRole('button', { name: 'Jump to first unread' });
    await jump.waitFor();
    expect(await list.locator('li.unread-divider').count()).toBe(0);
    await expectAccessible(page, 'conversation with unread beyond its latest page');

    await jump.click();
    const divider = list.locator('li.unread-divider');
    await divider.waitFor({ timeout: 15_000 });
    expect(await around(divider)).toEqual(['old 03', 'unread 01']);
    await expect
      .poll(() => page.evaluate('document.activeElement && document.activeElement.id'))
      .toBe('first-unread');
    await expect.poll(() => inView(list, divider), { timeout: 5_000 }).toBe(true);
    expect(await shown()).toEqual([...numbered('old', 3), ...numbered('unread', 60)]);
    expect(await jump.count()).toBe(0);
  }, 120_000);
});

describe('a failed upload', () => {
  it('is named with Retry, and Retry uploads the same file once the cause is gone', async () => {
    await group('Uploads');
    const redis = web.stack.messaging.redis.client;
    const key = tenantRuntimeKey(web.tenant);
    const quota = await redis.hget(key, 'storageGiB');
    expect(Number(quota)).toBeGreaterThan(0);
    const page = await signedInPage(ann);
    await page.getByRole('link', { name: 'Uploads' }).click();
    await page.getByLabel('Message Uploads').waitFor();
    const drafts = page.getByRole('list', { name: 'Files to send' });
    try {
      // The organisation's storage is full (the operator's runtime record, which media reads at each upload).
      await redis.hset(key, 'storageGiB', '0');
      await page
        .getByLabel('Attach files')
        .setInputFiles([{ name: 'minutes.pdf', mimeType: 'application/pdf', buffer: PDF }]);
      await expect
        .poll(() => drafts.getByRole('alert').textContent(), { timeout: 15_000 })
        .toBe('The organisation’s storage is full');
      expect(await page.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
      await expectAccessible(page, 'composer with a failed upload');
    } finally {
      await redis.hset(key, 'storageGiB', quota as string);
    }

    await drafts.getByRole('button', { name: 'Retry minutes.pdf' }).click();
    await drafts.getByText('ready').waitFor({ timeout: 15_000 });
    expect(await drafts.getByRole('alert').count()).toBe(0);
    expect(await drafts.locator('li').count()).toBe(1);
    await page.getByLabel('Message Uploads').fill('The minutes, at last');
    await page.getByRole('button', { name: 'Send' }).click();
    const sent = page
      .getByRole('list', { name: 'Messages' })
      .locator('li[data-seq]', { hasText: 'The minutes, at last' });
    await sent.getByRole('link', { name: 'minutes.pdf' }).waitFor({ timeout: 15_000 });
  }, 120_000);
});
