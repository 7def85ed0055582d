/**
 * The web client as a person meets it: the gateway (serving web/dist/client, built here first) in
 * front of the real auth, compliance and messaging services on real ports (gateway-stack.ts), and headless Chromium
 * (Debian's, /usr/bin/chromium; the stack's install puts it there) driven by
 * playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { type GatewayStack, openGatewayStack } from './gateway-stack.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
export const screenshotsDir = join(repoRoot, 'docs', 'screenshots');

export interface WebStack {
  stack: GatewayStack;
  browser: Browser;
  /** The gateway's address: the web client is at `${url}/`. */
  url: string;
  tenant: string;
  close(): Promise<void>;
}

/** `npm run build`'s web step, so the gateway serves what this checkout's sources make. */
export function buildWebClient(): void {
  execFileSync(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], {
    cwd: join(repoRoot, 'web'),
    stdio: 'inherit',
  });
}

export function chromiumPath(): string {
  const path = '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(`no Chromium at ${path}: \`npm run stack -- install\` installs Debian's`);
  return path;
}

export async function openWebStack(): Promise<WebStack> {
  buildWebClient();
  const stack = await openGatewayStack();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  return {
    stack,
    browser,
    url: stack.gateway.url,
    tenant: stack.tenantA,
    async close() {
      await browser.close();
      await stack.close();
    },
  };
}
