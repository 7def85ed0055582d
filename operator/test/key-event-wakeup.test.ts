/**
 * A key rotated outside its schedule (here through the keyring directly, as the crypto service's
 * rotate call does) reaches the KeyRotationSchedule's status through the rotation event on the
 * tenant's keys topic, long before the periodic resync (set to ten minutes here) would.
 */
import { describe, expect, it } from 'vitest';
import { getJson, kubectlOk, sample, uniqueId, waitFor, waitForCondition } from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

const tenant = uniqueId('tk');
const schedule = `${tenant}-tenant-key`;

const currentVersion = async () =>
  (await getJson<{ status?: { currentVersion?: number } }>(namespace, `keyrotationschedule/${schedule}`))
    ?.status?.currentVersion;

const suite = operatorSuite({
  prefix: 'opkw-',
  settings: { OPERATOR_RESYNC_MS: '600000' },
  tenants: [{ name: tenant }],
  kinds: 'keyrotationschedules',
  setupTimeoutMs: 150_000,
  cleanupTimeoutMs: 120_000,
});
const { namespace } = suite;

describe('key events wake KeyRotationSchedules', { timeout: 180_000 }, () => {
  it('reports a rotation made outside the schedule without waiting for the resync', async () => {
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('keyrotationschedule-acme.yaml', tenant, (y) =>
        y.replace('rewrapPolicy: Background', 'rewrapPolicy: None'),
      ),
    );
    await waitForCondition(namespace, `keyrotationschedule/${schedule}`, 'Ready', 'True');
    const before = await waitFor('the schedule to report its key', currentVersion);

    const rotated = await suite.op.operator.keyring.rotate(tenant, 'default', {
      requestKey: `outside-${uniqueId('r')}`,
    });
    expect(rotated.version).toBe(before + 1);

    // The operator's relay publishes the keyring's event; the wake-up queues this schedule.
    const after = await waitFor(
      'the schedule to report the new version',
      async () => ((await currentVersion()) === before + 1 ? before + 1 : undefined),
      90_000,
    );
    expect(after).toBe(before + 1);
  });
});
