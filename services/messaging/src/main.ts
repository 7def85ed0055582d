/** The messaging service's process: settings, connections, components, run. Nothing else. */
import { connectServiceClients } from '@parley/keyring';
import { loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { messagingSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(messagingSettingsSchema);
const connected = await connectServiceClients('messaging', settings);
const components = await createComponents(settings, connected);

await runService({
  app: buildApp(components),
  settings,
  logger: connected.logger,
  workers: components.workers,
  clients: [...connected.clients],
});
