/**
 * Configuration from environment variables. Parley's only reader of process.env: every setting
 * is declared in a TypeBox schema with a default that works against the local stack, and a wrong
 * or missing value stops the process with a message naming the variable.
 */
import { envSchema } from 'env-schema';
import { type Static, type TObject, type TProperties, Type } from 'typebox';
import {
  DEVELOPMENT_SERVICE_TOKENS,
  developmentServiceToken,
  MIN_SERVICE_TOKEN_LENGTH,
  SHARED_DEVELOPMENT_SERVICE_TOKEN,
  serviceCredentialProblems,
} from './service-credentials.ts';

export class ConfigError extends Error {
  readonly variables: string[];
  constructor(problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.variables = problems.map((p) => p.variable);
  }
}

interface AjvError {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

function describe(error: AjvError): { variable: string; message: string } {
  const missing = error.params.missingProperty;
  if (typeof missing === 'string') return { variable: missing, message: 'is required but not set' };
  const variable = error.instancePath.replace(/^\//, '') || '(environment)';
  const allowed = error.params.allowedValues;
  const detail = Array.isArray(allowed)
    ? `must be one of ${allowed.join(', ')}`
    : (error.message ?? 'is invalid');
  return { variable, message: detail };
}

/** Reads and validates settings; `env` defaults to process.env so tests can pass their own. */
export function loadConfig<T extends TObject>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  let config: Static<T>;
  try {
    config = envSchema<Static<T>>({ schema, data: env, dotenv: false });
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors;
    if (Array.isArray(errors)) throw new ConfigError(errors.map(describe));
    throw error;
  }
  // Settings that are valid one by one but not together: public credentials outside development.
  const problems = serviceCredentialProblems(config as Record<string, unknown>);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Loads config or ends the process with the message: the behaviour every main.ts wants. */
export function loadConfigOrExit<T extends TObject>(schema: T): Static<T> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG from sysexits.h
    }
    throw error;
  }
}

// The defaults point at the local stack (`npm run stack -- env` prints the same values), so a
// service started by hand next to `npm run stack -- up` needs no settings at all.
const Port = (defaultPort: number) => Type.Integer({ minimum: 1, maximum: 65535, default: defaultPort });

/**
 * What every service reads: where it listens, how it logs, how long it may drain, and its service
 * credentials (service-credentials.ts). `serviceName` picks the development default of its own
 * credential; without it the development default is the one all services used to share.
 */
export function serviceSettings(defaultPort: number, serviceName?: string) {
  return {
    /**
     * `development` (the local stack sets it) allows the public default credentials; anything
     * else is a deployment, which refuses to start with them.
     */
    PARLEY_ENV: Type.Union([Type.Literal('development'), Type.Literal('production')], {
      default: 'production',
    }),
    HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
    PORT: Port(defaultPort),
    LOG_LEVEL: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
    BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /** This process's own credential, presented on its calls to other services. */
    SERVICE_TOKEN: Type.String({
      minLength: MIN_SERVICE_TOKEN_LENGTH,
      default: serviceName ? developmentServiceToken(serviceName) : SHARED_DEVELOPMENT_SERVICE_TOKEN,
    }),
    /** The callers this process accepts: `name=token` pairs, comma-separated (http/service-auth.ts). */
    SERVICE_TOKENS: Type.String({ default: DEVELOPMENT_SERVICE_TOKENS }),
  } satisfies TProperties;
}

export const mongoSettings = {
  MONGO_URL: Type.String({ pattern: '^mongodb(\\+srv)?://', default: 'mongodb://127.0.0.1:17017/' }),
} satisfies TProperties;

export const redisSettings = {
  REDIS_URL: Type.String({
    pattern: '^rediss?://',
    default: 'redis://default:parley-admin-secret@127.0.0.1:16379',
  }),
} satisfies TProperties;

export const kafkaSettings = {
  KAFKA_BROKERS: Type.String({ pattern: '^[^,\\s]+(,[^,\\s]+)*$', default: '127.0.0.1:19092' }),
  KAFKA_USERNAME: Type.String({ default: 'admin' }),
  KAFKA_PASSWORD: Type.String({ default: 'parley-admin-secret' }),
  KAFKA_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
} satisfies TProperties;

export const s3Settings = {
  S3_ENDPOINT: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:19000' }),
  S3_ACCESS_KEY: Type.String({ default: 'parley-admin' }),
  S3_SECRET_KEY: Type.String({ default: 'parley-admin-secret' }),
} satisfies TProperties;

export const elasticsearchSettings = {
  ELASTICSEARCH_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:9250' }),
} satisfies TProperties;

export const kubernetesSettings = {
  KUBECONFIG: Type.Optional(Type.String({ minLength: 1 })),
} satisfies TProperties;
