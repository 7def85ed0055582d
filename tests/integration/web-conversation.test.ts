/**
 * A conversation's files, older history, typing and presence in headless Chromium against the
 * real stack (web-stack.ts with the media service behind the gateway, bound to sends by messaging):
 * a person attaches an image and a PDF (uploaded with progress, then sent), the other sees both,
 * the image previewed through a signed link and the PDF downloaded with the very bytes sent; a
 * refused file is named in the composer. Typing shows to the other person and stops when the
 * draft is cleared; presence shows the other member online, then away when their tab is hidden.
 * A long conversation opens at its latest page and reads older pages as the list scrolls up,
 * each message once and in order, the position kept.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedIn } from './gateway-stack.ts';
import { openWebStack, screenshotsDir, signedInPage as signInAs, type WebStack } from './web-stack.ts';

let web: WebStack;
let ann: SignedIn;
let ben: SignedIn;

/** A real PNG of 160×90 (a gradient, so the preview is visible and has a width to measure). */
const PNG = gradientPng(160, 90);
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);

function gradientPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      rows.set([Math.round((x / width) * 255), Math.round((y / height) * 255), 200], at);
    }
  }
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

beforeAll(async () => {
  web = await openWebStack({ media: true });
  [ann, ben] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
}, 240_000);

afterAll(async () => {
  await web?.close();
});

const signedInPage = (who: SignedIn) => signInAs(web, who, { acceptDownloads: true });

async function expectAccessible(page: Page, label: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`),
  ).toEqual([]);
}

async function group(name: string, owner = ann, member = ben): Promise<string> {
  const created = await owner.client.POST('/api/v1/conversations', {
    body: { kind: 'group', name, memberIds: [member.userId] },
  });
  if (!created.data) throw new Error(`no conversation: ${JSON.stringify(created.error)}`);
  return created.data.id;
}

describe('attachments', () => {
  it('an image and a PDF uploaded in the page reach the other person: the image previewed, the PDF downloaded byte for byte', async () => {
    await group('Site photos');
    const annPage = await signedInPage(ann);
    await annPage.getByRole('link', { name: 'Site photos' }).click();
    await annPage.getByLabel('Message Site photos').waitFor();
    await annPage.getByLabel('Attach files').setInputFiles([
      { name: 'dot.png', mimeType: 'image/png', buffer: PNG },
      { name: 'notes.pdf', mimeType: 'application/pdf', buffer: PDF },
    ]);
    const drafts = annPage.getByRole('list', { name: 'Files to send' });
    // Both finished (ready or refused), then none refused.
    await expect.poll(() => drafts.locator('progress').count(), { timeout: 20_000 }).toBe(0);
    expect(await drafts.getByRole('alert').allTextContents()).toEqual([]);
    expect(await drafts.getByText('ready').count()).toBe(2);
    await annPage.getByLabel('Message Site photos').fill('The plans, and the view from the roof');
    await annPage.getByRole('button', { name: 'Send' }).click();
    const annMessage = annPage
      .getByRole('list', { name: 'Messages' })
      .locator('li[data-seq]', { hasText: 'The plans, and the view from the roof' });
    await annMessage.getByRole('link', { name: 'notes.pdf' }).waitFor({ timeout: 15_000 });
    expect(await drafts.count()).toBe(0);

    const benPage = await signedInPage(ben);
    await benPage.getByRole('link', { name: /Site photos/ }).click();
    const benMessage = benPage
      .getByRole('list', { name: 'Messages' })
      .locator('li[data-seq]', { hasText: 'The plans, and the view from the roof' });
    const files = benMessage.getByRole('list', { name: 'Attached files' });
    await files.getByRole('link', { name: 'notes.pdf' }).waitFor({ timeout: 15_000 });
    // The preview loaded through the signed link (under the page's strict CSP).
    const preview = files.getByRole('img', { name: 'dot.png' });
    await expect
      .poll(() => preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), {
        timeout: 15_000,
      })
      .toBe(160);
    const [download] = await Promise.all([
      benPage.waitForEvent('download', { timeout: 15_000 }),
      files.getByRole('link', { name: 'notes.pdf' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('notes.pdf');
    expect(Buffer.compare(await readFile(await download.path()), PDF)).toBe(0);
    await expectAccessible(benPage, 'conversation with files');
    await benPage.screenshot({ path: join(screenshotsDir, 'attachments.png') });
  }, 120_000);

  it('a file the server refuses is named in the composer and nothing is sent', async () => {
    await group('Refusals');
    const page = await signedInPage(ann);
    await page.getByRole('link', { name: 'Refusals' }).click();
    await page.getByLabel('Message Refusals').waitFor();
    // Plain text is not on media's allow-list: a 415 with its problem detail.
    await page
      .getByLabel('Attach files')
      .setInputFiles([{ name: 'readme.txt', mimeType: 'text/plain', buffer: Buffer.from('just words') }]);
    const drafts = page.getByRole('list', { name: 'Files to send' });
    await expect.poll(() => drafts.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/\S/);
    await drafts.getByRole('button', { name: 'Remove readme.txt' }).click();
    expect(await drafts.count()).toBe(0);
    expect(await page.getByRole('list', { name: 'Messages' }).locator('li[data-seq]').count()).toBe(0);
  }, 60_000);
});

describe('typing and presence', () => {
  it("each sees the other's typing, and the other's presence (online, then away with the tab hidden)", async () => {
    // Two people with one browser each (presence is away only when all of a person's devices are).
    const [cat, dan] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
    await group('Standup', cat, dan);
    const catPage = await signedInPage(cat);
    const danPage = await signedInPage(dan);
    for (const page of [catPage, danPage]) {
      await page.getByRole('link', { name: /Standup/ }).click();
      await page.locator('[data-live="true"]').waitFor({ timeout: 20_000 });
      await page.getByLabel('Message Standup').waitFor();
    }
    const catTyping = catPage.locator('p.typing');
    await danPage.getByLabel('Message Standup').pressSequentially('on my way', { delay: 20 });
    // People by their display names (stack.user accepts with the e-mail's local part), not ids.
    const name = (who: SignedIn) => who.email.split('@')[0];
    await expect.poll(() => catTyping.textContent(), { timeout: 15_000 }).toBe(`${name(dan)} is typing…`);
    // Cleared: the indicator goes at once (typing: false), long before the server's expiry.
    await danPage.getByLabel('Message Standup').fill('');
    await expect.poll(() => catTyping.textContent(), { timeout: 15_000 }).toBe('');
    // And the other way round.
    const danTyping = danPage.locator('p.typing');
    await catPage.getByLabel('Message Standup').pressSequentially('ok', { delay: 20 });
    await expect.poll(() => danTyping.textContent(), { timeout: 15_000 }).toBe(`${name(cat)} is typing…`);
    await expectAccessible(danPage, 'conversation with typing and presence');
    await danPage.screenshot({ path: join(screenshotsDir, 'typing-presence.png') });

    const danSeenByCat = catPage
      .getByRole('list', { name: 'Who is here' })
      .locator(`li[data-user="${dan.userId}"]`);
    await expect.poll(() => danSeenByCat.getAttribute('data-status'), { timeout: 15_000 }).toBe('online');
    await expect.poll(() => danSeenByCat.textContent(), { timeout: 15_000 }).toContain(name(dan));
    // Dan's tab goes to the background (what the browser says when it is hidden).
    // (A string: the tests are type-checked without the DOM library.)
    await danPage.evaluate(`
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    `);
    await expect.poll(() => danSeenByCat.getAttribute('data-status'), { timeout: 15_000 }).toBe('away');
  }, 120_000);
});

describe('older history', () => {
  it('opens at the latest page, reads older pages by the cursor as the list scrolls up, each message once, in order', async () => {
    const conversationId = await group('Archive');
    const names = Array.from({ length: 120 }, (_, i) => `history ${String(i + 1).padStart(3, '0')}`);
    // Eight sends at a time; the conversation's order is the server's (by seq), not the names'.
    const sent: { seq: number; text: string }[] = [];
    for (let at = 0; at < names.length; at += 8) {
      const batch = await Promise.all(
        names.slice(at, at + 8).map((text) =>
          ann.client.POST('/api/v1/conversations/{conversationId}/messages', {
            params: { path: { conversationId } },
            body: { clientMessageId: `older-${text.replace(' ', '-')}`, text },
          }),
        ),
      );
      for (const answer of batch) {
        expect(answer.response.status).toBe(201);
        sent.push({ seq: answer.data?.seq ?? 0, text: answer.data?.text ?? '' });
      }
    }
    const texts = sent.sort((a, b) => a.seq - b.seq).map((m) => m.text);
    const page = await signedInPage(ben);
    await page.getByRole('link', { name: /Archive/ }).click();
    const list = page.getByRole('list', { name: 'Messages' });
    const shown = () => list.locator('li[data-seq] p.text').allTextContents();
    await expect.poll(async () => (await shown()).length, { timeout: 15_000 }).toBe(50);
    expect(await shown()).toEqual(texts.slice(70));

    // Scrolled to the top: the page before (and only it: the position is kept, so the top is out
    // of view again once it is in).
    await list.locator('li.older').scrollIntoViewIfNeeded();
    await expect.poll(async () => (await shown()).length, { timeout: 15_000 }).toBe(100);
    expect(await shown()).toEqual(texts.slice(20));
    // What was being read stays in view (the scroll is restored in the frame the page renders in).
    const keptInView = async () => {
      const listBox = await list.boundingBox();
      const keptBox = await list.locator('li[data-seq]', { hasText: texts[70] as string }).boundingBox();
      return Boolean(listBox && keptBox && keptBox.y >= listBox.y && keptBox.y < listBox.y + listBox.height);
    };
    await expect.poll(keptInView, { timeout: 5_000 }).toBe(true);

    await list.locator('li.older').scrollIntoViewIfNeeded();
    await expect.poll(async () => (await shown()).length, { timeout: 15_000 }).toBe(120);
    expect(await shown()).toEqual(texts);
    await list.getByText('The start of the conversation.').waitFor();
    expect(await list.getByRole('button', { name: 'Load older messages' }).count()).toBe(0);
    await expectAccessible(page, 'older history');
  }, 180_000);
});
