/**
 * The web client's first view: the time from navigation (`page.goto`) to the conversation list
 * rendered with live data (the seeded conversation's link with its unread count, read from the
 * API), in headless Chromium against the gateway and the real services on the local stack
 * (tests/integration/web-stack.ts), against a blank page served by the same gateway (a static
 * file beside the built client, waited for the same way). The signed-in session is put in the
 * tab's sessionStorage before the page loads, so sign-in is not timed. Each navigation is a new
 * browser context (nothing cached); `details` also has the same navigation again in a context
 * whose cache holds the hashed assets (a returning visit), and the chat page's JavaScript gzip
 * size. The ratio is time over time (lower is better): reported, no goal set.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext } from 'playwright-core';
import { openWebStack } from '../../integration/web-stack.ts';
import { type Benchmark, median, percentile, runPair } from '../harness.ts';

const BLANK =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Blank</title></head><body><p id="ready">ready</p></body></html>\n';

async function contextWith(browser: Browser, session: object): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  await context.addInitScript(
    (value: string) => sessionStorage.setItem('parley.session', value),
    JSON.stringify(session),
  );
  return context;
}

const benchmark: Benchmark = {
  name: 'web-navigation-vs-blank-page',
  goal: 'reported: navigation to the conversation list with live data vs a blank page of the same gateway (ms; no goal set)',
  needsStack: true,
  async run(context) {
    const web = await openWebStack({ extraFiles: { 'blank.html': BLANK } });
    const opened: BrowserContext[] = [];
    try {
      const [me, other] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
      for (let i = 0; i < 5; i++)
        await me.client.POST('/api/v1/conversations', {
          body: { kind: 'group', name: `Room ${i}`, memberIds: [other.userId] },
        });
      const made = await other.client.POST('/api/v1/conversations', {
        body: { kind: 'group', name: 'Bench room', memberIds: [me.userId] },
      });
      const conversationId = made.data?.id ?? '';
      for (let i = 0; i < 3; i++)
        await other.client.POST('/api/v1/conversations/{conversationId}/messages', {
          params: { path: { conversationId } },
          body: { clientMessageId: randomUUID(), text: `unread ${i}` },
        });
      const session = {
        tenant: web.tenant,
        accessToken: me.accessToken,
        refreshToken: me.refreshToken,
        sessionId: me.sessionId,
      };

      /** One navigation in `browserContext` (a new page), ms from goto to the awaited element. */
      const chat = async (browserContext: BrowserContext) => {
        const page = await browserContext.newPage();
        const started = performance.now();
        await page.goto(`${web.url}/#/chat`);
        await page
          .getByRole('navigation', { name: 'Conversations' })
          .getByRole('link', { name: 'Bench room, 3 unread' })
          .waitFor({ timeout: 30_000 });
        const ms = performance.now() - started;
        await page.close();
        return ms;
      };
      const blank = async (browserContext: BrowserContext) => {
        const page = await browserContext.newPage();
        const started = performance.now();
        await page.goto(`${web.url}/blank.html`);
        await page.locator('#ready').waitFor({ timeout: 30_000 });
        const ms = performance.now() - started;
        await page.close();
        return ms;
      };
      /** A cold navigation in a new context, then a warm one in the same context. */
      const visit = async (navigate: (c: BrowserContext) => Promise<number>) => {
        const browserContext = await contextWith(web.browser, session);
        opened.push(browserContext);
        const cold = await navigate(browserContext);
        const warm = await navigate(browserContext);
        await browserContext.close();
        return { cold, warm };
      };
      // Warm-up (Chromium's own start, the gateway's first requests): not counted.
      await visit(chat);
      await visit(blank);
      const rounds = Math.max(10, context.rounds * 6);
      const chatTimes: { cold: number; warm: number }[] = [];
      const blankTimes: { cold: number; warm: number }[] = [];
      for (let round = 0; round < rounds; round++) {
        const [c, b] = await runPair(
          round,
          () => visit(chat),
          () => visit(blank),
        );
        chatTimes.push(c);
        blankTimes.push(b);
      }
      const chatCold = chatTimes.map((t) => t.cold);
      const blankCold = blankTimes.map((t) => t.cold);
      const chatWarm = median(chatTimes.map((t) => t.warm));
      const blankWarm = median(blankTimes.map((t) => t.warm));
      const assets = join(web.webClientDir, 'assets');
      const jsGzipBytes = readdirSync(assets)
        .filter((f) => f.endsWith('.js'))
        .reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f))).length, 0);
      const round1 = (v: number) => Number(v.toFixed(1));
      return {
        parley: {
          label: 'goto /#/chat until the conversation list shows live unread counts (new context)',
          value: median(chatCold),
          unit: 'ms',
        },
        reference: {
          label: 'goto /blank.html of the same gateway until its text shows (new context)',
          value: median(blankCold),
          unit: 'ms',
        },
        details: {
          navigations: rounds,
          chatColdP95Ms: round1(percentile(chatCold, 95)),
          blankColdP95Ms: round1(percentile(blankCold, 95)),
          chatWarmMedianMs: round1(chatWarm),
          blankWarmMedianMs: round1(blankWarm),
          warmRatio: Number((chatWarm / blankWarm).toFixed(2)),
          javascriptGzipKB: Number((jsGzipBytes / 1024).toFixed(1)),
        },
      };
    } finally {
      for (const c of opened) await c.close().catch(() => {});
      await web.close();
    }
  },
};

export default benchmark;
