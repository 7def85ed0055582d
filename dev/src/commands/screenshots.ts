// `npm run screenshots`: the README's screenshots, taken again. The browser tests write them
// (headless Debian Chromium driven by playwright-core, against the real services on the local
// stack, tests/integration/web-stack.ts) into docs/screenshots/, so each picture shows a state a
// test has just checked; this runs exactly those tests, through `npm test`'s path (stack up if
// needed, down again only if started here).
import { testCommand } from './test.ts';

/** The browser tests and what each writes into docs/screenshots/. */
export const SCREENSHOT_TESTS: Record<string, string[]> = {
  'tests/integration/web-client.test.ts': ['sign-in', 'chat', 'chat-phone', 'invitation', 'audit-log'],
  'tests/integration/web-account.test.ts': ['account'],
  'tests/integration/web-admin.test.ts': ['admin', 'compliance'],
  'tests/integration/web-threads-search.test.ts': ['thread', 'search'],
  'tests/integration/web-conversation.test.ts': ['attachments', 'typing-presence'],
  'tests/integration/web-integrations.test.ts': ['integrations'],
};

export function screenshotsCommand(args: string[]): Promise<number> {
  return testCommand([...Object.keys(SCREENSHOT_TESTS), ...args]);
}
