/** The notifier's process: settings, connections, components, run. Nothing else. */
import { connectServiceClients } from '@parley/keyring';
import { loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { notifierSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(notifierSettingsSchema);
const connected = await connectServiceClients('notifier', settings);
const components = createComponents(settings, connected);

await runService({
  app: buildApp(components),
  settings,
  logger: connected.logger,
  workers: components.workers,
  clients: [...connected.clients, { name: 'smtp', stop: async () => components.transport.close() }],
});
