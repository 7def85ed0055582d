/** The media service's process: settings, connections, keyring, components, run. Nothing else. */
import { connectServiceClients, serviceKeyring } from '@parley/keyring';
import { createS3Client, loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { mediaSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(mediaSettingsSchema);
// The same KEK store as every other process with a keyring, or media could not open the data
// keys they wrap.
const connected = await connectServiceClients('media', settings);
const keyring = await serviceKeyring('media', settings, connected);
const components = createComponents(settings, { ...connected, s3: createS3Client(settings), keyring });

await runService({
  app: buildApp(components),
  settings,
  logger: connected.logger,
  workers: components.workers,
  clients: connected.clients,
});
