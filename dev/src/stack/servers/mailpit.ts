// Mailpit as the SMTP server (local only; production points the notifier at a real relay). It keeps
// every message it accepts and lists them at /api/v1/messages, so tests read the mail a service
// sent, and a newcomer reads the demo invitation in its web UI.
import { join } from 'node:path';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const mailpit: ServerDefinition = {
  name: 'mailpit',
  dependsOn: [],
  endpoint: (ctx) =>
    `127.0.0.1:${ctx.settings.ports.mailpitSmtp} (SMTP; web and API http://127.0.0.1:${ctx.settings.ports.mailpitHttp})`,
  prepare: async () => {},
  command: (ctx, dataDir) => ({
    file: ctx.installed.mailpit,
    args: [
      '--smtp',
      `127.0.0.1:${ctx.settings.ports.mailpitSmtp}`,
      '--listen',
      `127.0.0.1:${ctx.settings.ports.mailpitHttp}`,
      // On disk in the run dir, so mail survives a restart of the stack as the rest of its data does.
      '--database',
      join(dataDir, 'mailpit.db'),
      // The default keeps 500 and prunes the oldest: a test reading its mail after a benchmark's
      // thousand would find it gone.
      '--max',
      '20000',
      // Loopback only and no credentials in the stack: the notifier sends without AUTH.
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      '--disable-version-check',
    ],
  }),
  probe: async (ctx) => {
    await expectHttpOk(`http://127.0.0.1:${ctx.settings.ports.mailpitHttp}/api/v1/info`);
  },
  readyTimeoutMs: 30_000,
};
