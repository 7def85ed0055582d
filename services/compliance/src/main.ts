/** The compliance service's process: settings, key files, connections, components, run. Nothing else. */
import { connectServiceClients } from '@parley/keyring';
import { loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { loadPreviousPublicKeys, loadSigningKey } from './domain/signing-key-file.ts';
import { complianceSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(complianceSettingsSchema);
// The signing keys before any connection: a missing or unreadable key stops the process first.
const signingKey = await loadSigningKey(
  settings.AUDIT_SIGNING_KEY_PATH,
  settings.AUDIT_SIGNING_KEY_CREATE_IF_MISSING,
);
const previousKeys = await loadPreviousPublicKeys(settings.AUDIT_PREVIOUS_KEYS_PATH);
const connected = await connectServiceClients('compliance', settings);
const components = await createComponents(settings, { ...connected, signingKey, previousKeys });
connected.logger.info(
  { signingKeyId: signingKey.keyId, previousKeyIds: previousKeys.map((k) => k.keyId) },
  'compliance: audit signing keys loaded',
);

await runService({
  app: buildApp(components),
  settings,
  logger: connected.logger,
  workers: components.workers,
  clients: connected.clients,
});
