/** The integrations service's process: settings, connections, components, run. Nothing else. */
import { connectServiceClients } from '@parley/keyring';
import { loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { integrationsSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(integrationsSettingsSchema);
const connected = await connectServiceClients('integrations', settings);
const components = await createComponents(settings, connected);

await runService({
  app: buildApp(components),
  settings,
  logger: connected.logger,
  workers: components.workers,
  clients: connected.clients,
});
