/**
 * The reindex command: rebuilds one tenant's index from messaging's history (domain/reindexer.ts),
 * with the search service's own settings and credential (MESSAGING_URL, SERVICE_TOKEN, the tenant
 * keys' database). Run beside the service, e.g. in its pod:
 *
 *   npm run -w @parley/search-service reindex -- <tenant>
 *
 * Prints the report as JSON; exits 1 (with the reason) when the rebuild failed, 2 on a usage error.
 */
import { connectServiceClients } from '@parley/keyring';
import { loadConfigOrExit } from '@parley/kit';
import { TenantIdSchema } from '@parley/tenancy';
import { Compile } from 'typebox/compile';
import { createComponents } from './components.ts';
import { searchSettingsSchema } from './settings.ts';

const tenant = process.argv[2];
if (!tenant || !Compile(TenantIdSchema).Check(tenant)) {
  process.stderr.write('usage: reindex <tenant id>\n');
  process.exit(2);
}
const settings = loadConfigOrExit(searchSettingsSchema);
const connected = await connectServiceClients('search', settings);
// No broker: the command starts no consumer (the running service keeps indexing meanwhile).
const { kafka: _kafka, ...clients } = connected;
const components = await createComponents(settings, clients);
let code = 0;
try {
  const report = await components.reindexer.reindex(tenant);
  process.stdout.write(`${JSON.stringify(report)}\n`);
} catch (error) {
  process.stderr.write(`reindex of ${tenant} failed: ${(error as Error).message}\n`);
  code = 1;
} finally {
  await components.es.close();
  for (const client of connected.clients) await client.stop();
}
process.exit(code);
