/** Helpers for tests of services built on the kit. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger.ts';

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
