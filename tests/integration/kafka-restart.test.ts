/**
 * Kafka must come back after a restart that follows many tenants' provisioning and removal.
 *
 * It did not: `stack up` after `npm test` or `npm run bench` failed with "SASL SCRAM SHA512
 * authentication failed: invalid credentials" for the admin. Cause: Kafka 4.1 (to 4.3 at least)
 * rebuilds its SCRAM image at start from the whole metadata log in one delta, and
 * ScramDelta.apply() drops the SCRAM-SHA-512 mechanism from the image as soon as a *removed*
 * user is met while the map is still empty, so every later credential, the admin's included, is
 * lost. The operator removed tenants' SCRAM users; it now revokes them by overwriting their
 * credential (revokeScramUser), which replays safely.
 *
 * This runs a Kafka of its own (a second stack: its own run dir and ports, Kafka only), so the
 * suite's broker is never restarted, and provisions and revokes principals with the operator's
 * own calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStackUp, loadSettings, stopStack } from '@parley/dev';
import { freePort } from '@parley/kit/testing';
import { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  revokeScramUser,
  setQuotasOfUsers,
  upsertScramUsers,
} from '../../operator/src/tenant/steps/kafka-principal.ts';

const { Kafka, logLevel } = kafkajs;
const TENANTS = 60;
const runDir = mkdtempSync(join(tmpdir(), 'parley-kafka-restart-'));
const defaults = loadSettings();
let settings: typeof defaults | undefined;

afterAll(async () => {
  if (settings) await stopStack(settings);
  rmSync(runDir, { recursive: true, force: true });
}, 60_000);

async function canLogIn(brokers: string[], username: string, password: string): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'restart-probe',
    brokers,
    sasl: { mechanism: 'scram-sha-512', username, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

describe('Kafka after many tenants came and went', { timeout: 300_000 }, () => {
  it('comes back up after a restart and the admin still signs in', async () => {
    const [kafka, kafkaController] = [await freePort(), await freePort()];
    settings = { ...defaults, runDir, ports: { ...defaults.ports, kafka, kafkaController } };
    await ensureStackUp({ settings, install: false, only: ['kafka'] });
    const brokers = [`127.0.0.1:${kafka}`];
    const admin = new PlatformaticAdmin({
      clientId: 'restart-test',
      bootstrapBrokers: brokers,
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: settings.adminPassword },
    });
    const users = Array.from({ length: TENANTS }, (_, i) => ({
      user: `tenant-r${i}`,
      password: `secret-of-r${i}`,
    }));
    try {
      for (let i = 0; i < users.length; i += 20) {
        const batch = users.slice(i, i + 20);
        await upsertScramUsers(admin, batch);
        await setQuotasOfUsers(
          admin,
          batch.map(({ user }) => ({
            user,
            quotas: { producerByteRate: 1_000_000, consumerByteRate: 2_000_000 },
          })),
        );
      }
      expect(await canLogIn(brokers, 'tenant-r7', 'secret-of-r7')).toBe(true);
      for (const { user } of users) await revokeScramUser(admin, user);
      expect(await canLogIn(brokers, 'tenant-r7', 'secret-of-r7')).toBe(false);
    } finally {
      await admin.close();
    }

    await stopStack(settings);
    await ensureStackUp({ settings, install: false, only: ['kafka'] });
    expect(await canLogIn(brokers, 'admin', settings.adminPassword)).toBe(true);
    // Revoked stays revoked across the restart.
    expect(await canLogIn(brokers, 'tenant-r7', 'secret-of-r7')).toBe(false);
  });
});
