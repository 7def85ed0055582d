/**
 * The journey's command line, for the kind CI workflow (and anyone with a cluster):
 *   node tests/e2e/journey.ts --gateway http://localhost:30000 --auth http://localhost:3007 \
 *     --tenant acme --operator-token "$TOKEN"
 * Exits 1 naming the step that failed.
 */
import { parseArgs } from 'node:util';
import { gatewayJourney } from './gateway-journey.ts';

const { values } = parseArgs({
  options: {
    gateway: { type: 'string' },
    auth: { type: 'string' },
    tenant: { type: 'string' },
    'operator-token': { type: 'string' },
  },
});
const { gateway, auth, tenant } = values;
const operatorToken = values['operator-token'];
if (!gateway || !auth || !tenant || !operatorToken) {
  console.error('usage: journey.ts --gateway <url> --auth <url> --tenant <id> --operator-token <token>');
  process.exit(2);
}
try {
  for (const line of await gatewayJourney({ gatewayUrl: gateway, authUrl: auth, tenant, operatorToken }))
    console.log(`ok: ${line}`);
} catch (error) {
  console.error(`end-to-end journey failed: ${(error as Error).message}`);
  process.exit(1);
}
