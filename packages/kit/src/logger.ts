/**
 * JSON logs through pino. Secrets never reach a log line: credentials in headers and any field
 * whose name says it holds a secret are redacted wherever they appear (two levels deep).
 */
import { type Logger, type LoggerOptions, pino } from 'pino';

const secretFields = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'totp',
  'code',
  'recoveryCode',
  'plaintext',
  'privateKey',
  'apiKey',
];

/**
 * URLs that are credentials themselves (an incoming webhook's `/hooks/<tenant>/<id>/<secret>`):
 * the request line Fastify logs keeps the path up to the secret, never the secret.
 */
const SECRET_URL = /(\/hooks\/[^/?#]+\/[^/?#]+\/)[^/?#]+/;

export function withoutUrlSecrets(url: string): string {
  return url.replace(SECRET_URL, '$1[redacted]');
}

export const redactedPaths = [
  'req.url',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-service-token"]',
  'res.headers["set-cookie"]',
  ...secretFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

export interface LoggerSettings {
  service: string;
  level?: LoggerOptions['level'];
  /** Where lines go; tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ service, level = 'info', destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    // One censor for every path: a logged URL loses only its secret part, the rest is replaced.
    redact: {
      paths: redactedPaths,
      censor: (value: unknown, path: unknown[]) =>
        path.length === 2 && path[0] === 'req' && path[1] === 'url' && typeof value === 'string'
          ? withoutUrlSecrets(value)
          : '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

export type { Logger };
