/**
 * The web client as a person meets it: the gateway (serving web/dist/client, built here first) in
 * front of the real auth, compliance and messaging services on real ports (gateway-stack.ts), two
 * socket replicas behind the gateway's /socket.io/ (messaging's outbox relayed to the tenant's real
 * Kafka topics, which each replica reads), and headless Chromium (Debian's, /usr/bin/chromium; the
 * stack's install puts it there) driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthPolicy } from '@parley/auth-service/settings';
import { PASSWORD, SERVICE_TOKEN } from '@parley/auth-service/testing';
import { type IntegrationsFixture, openIntegrationsFixture } from '@parley/integrations-service/testing';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger, freePort } from '@parley/kit/testing';
import { MediaClient } from '@parley/media-client';
import { type MediaFixture, openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import { MediaAttachmentBinder } from '@parley/messaging-service/src/domain/attachment-binder.ts';
import { MessagingStore } from '@parley/messaging-service/src/store/collections.ts';
import { createMessagingRelay } from '@parley/messaging-service/src/workers/outbox-relay.ts';
import { openSearchFixture, type SearchFixture } from '@parley/search-service/testing';
import { socketSettingsSchema } from '@parley/socket-service/settings';
import { openSocketReplica, type SocketReplicaFixture } from '@parley/socket-service/testing';
import { kafkaTopic } from '@parley/tenancy';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
export const screenshotsDir = join(repoRoot, 'docs', 'screenshots');

export interface WebStack {
  stack: GatewayStack;
  browser: Browser;
  /** The gateway's address: the web client is at `${url}/`. */
  url: string;
  tenant: string;
  /** The socket replicas the gateway forwards /socket.io/ to (round-robin). */
  replicas: SocketReplicaFixture[];
  /** The built web client the gateway serves (this stack's own folder). */
  webClientDir: string;
  close(): Promise<void>;
}

/**
 * `npm run build`'s web step, so the gateway serves what this checkout's sources make; into a
 * folder of this run's own, so test files running side by side (and a build by hand meanwhile)
 * never replace the files a gateway is serving.
 */
export function buildWebClient(): string {
  const outDir = mkdtempSync(join(tmpdir(), 'parley-web-client-'));
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'vite'),
    ['build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'],
    { cwd: join(repoRoot, 'web'), stdio: 'inherit' },
  );
  return outDir;
}

export function chromiumPath(): string {
  const path = '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(`no Chromium at ${path}: \`npm run stack -- install\` installs Debian's`);
  return path;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `search`: the search service indexing the tenant's messages; `media`: the media service (files
 * through the gateway's media routes, bound to sends by messaging); `authPolicy`: auth's policy
 * overrides (e.g. a local http OpenID provider allowed); `integrations`: the integrations service
 * (bots and outgoing webhooks; its consumer reads the tenant's messages topic, and receivers on
 * 127.0.0.1 are allowed, as an operator allows an on-prem network); `extraFiles`: files (name ->
 * content) put beside the built client before the gateway starts, so it serves them too (a
 * benchmark's blank reference page).
 */
export async function openWebStack(
  options: {
    search?: boolean;
    media?: boolean;
    integrations?: boolean;
    authPolicy?: Partial<AuthPolicy>;
    extraFiles?: Record<string, string>;
  } = {},
): Promise<WebStack> {
  const webClientDir = buildWebClient();
  for (const [name, content] of Object.entries(options.extraFiles ?? {}))
    writeFileSync(join(webClientDir, name), content);
  const searchPort = options.search ? await freePort() : undefined;
  const mediaPort = options.media ? await freePort() : undefined;
  const integrationsPort = options.integrations ? await freePort() : undefined;
  // Messaging and media call each other: messaging binds a send's uploads through media's binder,
  // which exists once media listens (below).
  let binder: MediaAttachmentBinder | undefined;
  // The replicas start after the gateway (they need the messaging URL the gateway stack makes),
  // so the gateway starts with none and is handed them below.
  const stack = await openGatewayStack(
    {
      SOCKET_URLS: '',
      WEB_CLIENT_DIR: webClientDir,
      ...(searchPort ? { SEARCH_URL: `http://127.0.0.1:${searchPort}` } : {}),
      ...(mediaPort ? { MEDIA_URL: `http://127.0.0.1:${mediaPort}` } : {}),
      ...(integrationsPort ? { INTEGRATIONS_URL: `http://127.0.0.1:${integrationsPort}` } : {}),
    },
    {
      ...(options.authPolicy ? { authPolicy: options.authPolicy } : {}),
      ...(mediaPort
        ? {
            attachments: {
              bind: (t, request) => {
                if (!binder) throw new Error('media not listening yet');
                return binder.bind(t, request);
              },
            },
          }
        : {}),
    },
  );
  let media: MediaFixture | undefined;
  if (mediaPort) {
    media = await openMediaFixture({
      keyring: stack.messaging.keyring,
      messagingUrl: stack.messagingUrl,
      messagingToken: SERVICE_TOKEN,
      // The gateway and messaging present one credential to every service (gateway-stack.ts).
      callerToken: SERVICE_TOKEN,
    });
    await media.app.listen({ host: '127.0.0.1', port: mediaPort });
    binder = new MediaAttachmentBinder(
      new MediaClient({
        baseUrl: `http://127.0.0.1:${mediaPort}`,
        serviceToken: SERVICE_TOKEN,
        timeoutMs: 5_000,
      }),
    );
  }
  const tenant = stack.tenantA;
  const config = loadConfig(socketSettingsSchema);
  const kafka: KafkaConnection = await connectKafka(
    kafkaSettingsFromConfig(config, 'web-test'),
    createSilentLogger(),
  );
  const topics = [kafkaTopic(tenant, 'messages'), kafkaTopic(tenant, 'members')];
  await kafka.admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: topic.endsWith('messages') ? 3 : 1 })),
  });
  const relay = createMessagingRelay({
    producer: kafka.producer,
    store: new MessagingStore(stack.messaging.mongo.client),
    logger: createSilentLogger(),
    intervalMs: 100,
    tenants: () => [tenant],
  });
  relay.start();
  // The search service indexing the tenant's messages topic (only for the tests that search).
  let search: SearchFixture | undefined;
  if (searchPort) {
    search = await openSearchFixture({
      tenant,
      keyring: stack.messaging.keyring,
      mongo: stack.messaging.mongo,
      redis: stack.messaging.redis,
      kafka,
      messagingUrl: stack.messagingUrl,
      serviceToken: SERVICE_TOKEN,
    });
    await search.app.listen({ host: '127.0.0.1', port: searchPort });
  }
  let integrations: IntegrationsFixture | undefined;
  if (integrationsPort) {
    integrations = await openIntegrationsFixture({
      tenants: [tenant],
      mongo: stack.messaging.mongo,
      redis: stack.messaging.redis,
      keyring: stack.messaging.keyring,
      kafka,
      messagingUrl: stack.messagingUrl,
      serviceToken: SERVICE_TOKEN,
      callerToken: SERVICE_TOKEN,
      settings: {
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        TOPIC_REFRESH_MS: 60_000,
        WEBHOOK_SWEEP_MS: 100,
        WEBHOOK_TIMEOUT_MS: 2_000,
        WEBHOOK_RETRY_INITIAL_MS: 100,
        WEBHOOK_RETRY_MAX_MS: 400,
        WEBHOOK_MAX_ATTEMPTS: 3,
      },
    });
    await integrations.app.listen({ host: '127.0.0.1', port: integrationsPort });
  }
  const replicas: SocketReplicaFixture[] = [];
  for (const name of ['a', 'b']) {
    const replica = await openSocketReplica({
      settings: {
        MESSAGING_URL: stack.messagingUrl,
        AUTH_URL: stack.authUrl,
        AUTH_ISSUER: stack.auth.policy.issuer,
        AUTH_AUDIENCE: stack.auth.policy.audience,
        SERVICE_TOKEN,
        REPLICA_ID: `web-${tenant}-${name}`,
        TOPIC_REFRESH_MS: 1_000,
      },
      // auth publishes each tenant's keys under /v1 (as the gateway reads them).
      jwks: `${stack.authUrl}/v1/tenants/{tenant}/.well-known/jwks.json`,
    });
    replicas.push(replica);
    await waitUntil(
      () =>
        replica.replica.delivery.messages.topics.includes(topics[0] as string) &&
        replica.replica.delivery.members.topics.includes(topics[1] as string),
      60_000,
      `replica ${name} consuming the tenant's topics`,
    );
  }
  stack.gateway.components.socketReplicas.push(...replicas.map((r) => r.url));
  // A new consumer group starts at the newest records once its partitions are assigned: settle.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  return {
    stack,
    browser,
    url: stack.gateway.url,
    tenant,
    replicas,
    webClientDir,
    async close() {
      await browser.close();
      for (const replica of replicas) await replica.close().catch(() => {});
      await search?.close();
      await media?.close();
      await integrations?.close();
      await relay.stop();
      await kafka.admin.deleteTopics({ topics }).catch(() => {});
      await kafka.stop();
      await stack.close();
      rmSync(webClientDir, { recursive: true, force: true });
    },
  };
}

/**
 * A page of its own (a new browser context: its own storage and session) signed in as `who`, at
 * the conversation list. The stack's close() ends the context with the browser. A sign-in that
 * does not finish says what the page showed.
 */
export async function signedInPage(
  web: WebStack,
  who: SignedIn,
  options: { acceptDownloads?: boolean } = {},
): Promise<Page> {
  const context = await web.browser.newContext({
    viewport: { width: 1200, height: 800 },
    colorScheme: 'light',
    ...options,
  });
  const page = await context.newPage();
  await page.goto(`${web.url}/#/sign-in?tenant=${web.tenant}`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  try {
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 15_000 });
  } catch (error) {
    const said = await page.locator('[role="alert"]').allTextContents();
    throw new Error(`not signed in (the page says: ${JSON.stringify(said)}): ${(error as Error).message}`);
  }
  return page;
}
