/**
 * For the crypto service's tests: its components as main.ts builds them (createComponents), over
 * a keyring fixture's own database and master key on the real Mongo-wire server, so runs never
 * meet teammates' keys. No broker: the HTTP API's tests need no workers that use it.
 */
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import { type Logger, loadConfig, type ServiceCallers } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { type CryptoComponents, createComponents } from '../components.ts';
import type { CallerAccess } from '../domain/caller-access.ts';
import { cryptoSettingsSchema } from '../settings.ts';

export { type KeyringFixture, openKeyringFixture };

/** The service's components over the fixture's keyring database (a new keyring each call). */
export function cryptoComponents(
  fx: KeyringFixture,
  options: { logger?: Logger; callers?: ServiceCallers | string; access?: CallerAccess } = {},
): Promise<CryptoComponents> {
  const { logger = createSilentLogger('crypto'), ...overrides } = options;
  return createComponents(
    loadConfig(cryptoSettingsSchema),
    { logger, mongo: fx.mongo, masterKeys: fx.masterKeys, platformDb: fx.db },
    overrides,
  );
}
