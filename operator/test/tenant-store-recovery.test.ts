/**
 * A store outage ends and the Tenants that waited on it are retried at once: the real operator,
 * its Redis reached through a TCP proxy this test can cut, provisions a Tenant while Redis is
 * unreachable (RedisUnavailable), with a backoff so long (10 minutes) and a resync so far away (an
 * hour) that neither would retry it during the test. Once the proxy forwards again, the store
 * recovery's probe sees Redis answer and the Tenant becomes Ready (tenant/store-recovery.ts).
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { conditions, uniqueId, waitFor, waitForCondition } from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

/** Forwards to the real Redis while up; while down it cuts every connection and refuses new ones. */
class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #up = true;
  port = 0;

  constructor(target: URL) {
    this.#server = createServer((client) => {
      if (!this.#up) {
        client.destroy();
        return;
      }
      const upstream = netConnect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    this.#server.unref();
  }

  down(): void {
    this.#up = false;
    for (const s of this.#sockets) s.destroy();
  }

  up(): void {
    this.#up = true;
  }
}

const realRedis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const proxy = new CuttableProxy(realRedis);
const proxiedRedisUrl = () => {
  const url = new URL(realRedis);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
};

const suite = operatorSuite({
  prefix: 'oprecover-',
  startOperator: false,
  // The proxy stays up until the process ends: the suite's cleanup runs on the test's operator.
  prepare: () => proxy.listen(),
});
const { namespace } = suite;

describe('a store comes back', { timeout: 150_000 }, () => {
  it('a Tenant that failed on an unreachable Redis becomes Ready soon after Redis answers, not at its next backoff', async () => {
    const op = await suite.restart({
      REDIS_URL: proxiedRedisUrl(),
      OPERATOR_BACKOFF_BASE_MS: '600000',
      OPERATOR_RESYNC_MS: '3600000',
      OPERATOR_DRIFT_SWEEP_MS: '3600000',
      OPERATOR_RECOVERY_PROBE_MS: '500',
      OPERATOR_STEP_TIMEOUT_MS: '3000',
    });
    proxy.down();
    const name = uniqueId('rc');
    await suite.apply(name);
    const failed = await waitFor(
      'the Redis step to fail with RedisUnavailable',
      async () => {
        const seen = await conditions(namespace, `tenant/${name}`);
        return seen.find((c) => c.type === 'Redis' && c.reason === 'RedisUnavailable') ? seen : undefined;
      },
      60_000,
    );
    expect(failed.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    expect(failed.find((c) => c.type === 'Mongo')?.status).toBe('True');
    // Its retry is now 10 minutes away (the first failure's backoff).
    const retriesBefore = (await op.operator.metrics.storeRecoveryRetries.get()).values.reduce(
      (sum, v) => sum + v.value,
      0,
    );
    expect(retriesBefore).toBe(0);

    proxy.up();
    await waitForCondition(namespace, `tenant/${name}`, 'Ready', 'True', 60_000);
    const retried = (await op.operator.metrics.storeRecoveryRetries.get()).values.find(
      (v) => v.labels.store === 'Redis',
    );
    expect(retried?.value).toBeGreaterThanOrEqual(1);
  });
});
