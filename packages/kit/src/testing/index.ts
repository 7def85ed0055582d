/** Helpers for tests of services built on the kit. */
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createLogger, type Logger } from '../logger.ts';

export * from './openapi-coverage.ts';

/** A logger whose lines a test can read back (to check, say, that a secret was redacted). */
export function createCapturingLogger(service = 'test'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ service, level: 'debug', destination });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

/** A logger that writes nothing, for tests that do not read logs. */
export function createSilentLogger(service = 'test'): Logger {
  return createLogger({ service, level: 'silent' });
}

/**
 * A TCP port that nothing listens on right now, for a test that must hand a port to a child
 * process. The kernel picks it (port 0), so it cannot collide with a fixed range that happens to
 * overlap the ephemeral ports other connections of the same test run are using.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface EventuallyOptions {
  /** How long to keep probing before failing (generous: the suite runs under load). */
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Probes until `done` accepts the value, for what converges asynchronously (a consumer, a relay,
 * a topic's metadata reaching the broker). A probe that throws is retried like a value not yet
 * accepted; on timeout the error names the last value or error, so a failure says where it stuck.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean = (value) => Boolean(value),
  { timeoutMs = 30_000, intervalMs = 200 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await probe();
      if (done(value)) return value;
      last = `last value ${JSON.stringify(value)}`;
    } catch (error) {
      last = `last error ${(error as Error).message}`;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; ${last}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Reads a topic from the beginning with a consumer group of its own until `count` messages have
 * arrived (or fails after `timeoutMs`, saying how many did): what a relay or producer test checks.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `test-read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: KafkaMessage[] = [];
  const done = Promise.withResolvers<void>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push(message);
      if (received.length >= count) done.resolve();
    },
  });
  const timer = setTimeout(
    () => done.reject(new Error(`only ${received.length} of ${count} messages`)),
    timeoutMs,
  );
  try {
    await done.promise;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return received;
}
