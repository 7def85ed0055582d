/**
 * The one route open without the service credential: the public keys that sign audit
 * checkpoints and export receipts. A tenant (or its auditor) must be able to fetch them without
 * holding Parley's credential; they are public by nature. Earlier keys stay listed, so
 * checkpoints signed before a rotation still verify. The same document is in each tenant's
 * bucket (audit/signing-keys.json).
 */
import { AuditSigningKeysSchema } from '@parley/contracts';
import { routePlugin } from '@parley/kit';
import type { RouteDeps } from './route-context.ts';

export const publicRoutes = routePlugin<RouteDeps>((app, { auditLogs }) => {
  app.get(
    '/audit/signing-keys',
    {
      schema: {
        description:
          'Public keys (base64 SPKI and PEM) that sign audit checkpoints and export receipts, earlier keys included; no credential needed',
        response: {
          200: AuditSigningKeysSchema,
        },
      },
    },
    async () => auditLogs.keysDocument,
  );
});
