/**
 * The web client as a person meets it: the gateway (serving web/dist, built here first) in front
 * of the real auth, compliance and messaging services on real ports, and headless Chromium
 * (Debian's, at CHROMIUM_PATH or /usr/bin/chromium; the stack's install puts it there) driven by
 * playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_TOKEN } from '@parley/auth-service/src/testing/auth-fixture.ts';
import type { ServiceApp } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { buildApp as buildMessagingApp } from '@parley/messaging-service/src/app.ts';
import { TenantGate } from '@parley/messaging-service/src/store/tenant-gate.ts';
import {
  type MessagingFixture,
  openMessagingFixture,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { mongoDatabaseName } from '@parley/tenancy';
import { type Browser, chromium } from 'playwright-core';
import { type GatewayStack, openGatewayStack } from './gateway-stack.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
export const screenshotsDir = join(repoRoot, 'docs', 'screenshots');

export interface WebStack {
  stack: GatewayStack;
  messaging: MessagingFixture;
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
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(`no Chromium at ${path}: \`npm run stack -- install\` installs Debian's`);
  return path;
}

export async function openWebStack(): Promise<WebStack> {
  buildWebClient();
  const messaging = await openMessagingFixture();
  // The gateway presents one credential to every service: this messaging app accepts it.
  const messagingApp: ServiceApp = buildMessagingApp({
    logger: createSilentLogger('messaging'),
    components: messaging.components,
    tenantGate: new TenantGate(messaging.redis.client, 0),
    serviceToken: SERVICE_TOKEN,
  });
  const messagingUrl = await messagingApp.listen({ host: '127.0.0.1', port: 0 });
  const stack = await openGatewayStack({ MESSAGING_URL: messagingUrl });
  await messaging.keyring.ensureTenantKey(stack.tenantA);
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  return {
    stack,
    messaging,
    browser,
    url: stack.gateway.url,
    tenant: stack.tenantA,
    async close() {
      await browser.close();
      await stack.close();
      await messagingApp.close();
      await messaging.mongo.client
        .db(mongoDatabaseName(stack.tenantA))
        .dropDatabase()
        .catch(() => undefined);
      await messaging.close();
    },
  };
}
