/** The auth service's process: settings, connections, components, run. Nothing else. */
import { connectServiceClients } from '@parley/keyring';
import { loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { AUTH_REDIS_OPTIONS, authSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(authSettingsSchema);
const connected = await connectServiceClients('auth', settings, { redis: AUTH_REDIS_OPTIONS });
const components = await createComponents(settings, connected);

await runService({
  app: buildApp(components),
  settings,
  logger: connected.logger,
  workers: components.workers,
  clients: connected.clients,
});
