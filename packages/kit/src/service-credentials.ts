/**
 * Service credentials as settings. Each Parley process has a credential of its own
 * (`SERVICE_TOKEN`, presented on its calls to other services) and knows the credentials of the
 * callers it accepts (`SERVICE_TOKENS`, `name=token` pairs), so a receiver knows *which* service
 * calls and can decide what that service may do (http/service-auth.ts).
 *
 * The defaults are public (they are in this file): fine on a laptop, a hole anywhere else. So
 * `PARLEY_ENV` defaults to `production`, and a process outside `development` whose credentials
 * include any of them refuses to start (loadConfig reports it like any wrong setting). The local
 * stack's settings (`npm run stack -- env`, used by `npm start` and the tests) say
 * `PARLEY_ENV=development`.
 */

/** Every Parley component that calls or is called by another. */
export const PARLEY_SERVICE_NAMES = [
  'gateway',
  'auth',
  'compliance',
  'crypto',
  'messaging',
  'socket',
  'media',
  'search',
  'notifier',
  'integrations',
  'operator',
] as const;
export type ParleyServiceName = (typeof PARLEY_SERVICE_NAMES)[number];

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const MIN_SERVICE_TOKEN_LENGTH = 16;

/** The public development credential of one service. */
export const developmentServiceToken = (name: string): string => `local-development-${name}-service-token`;

/** The single credential every service shared before each had its own; public, like the others. */
export const SHARED_DEVELOPMENT_SERVICE_TOKEN = 'local-development-service-token';

/** `SERVICE_TOKENS`' development default: every Parley service with its development credential. */
export const DEVELOPMENT_SERVICE_TOKENS = PARLEY_SERVICE_NAMES.map(
  (name) => `${name}=${developmentServiceToken(name)}`,
).join(',');

const PUBLIC_TOKENS = new Set([
  SHARED_DEVELOPMENT_SERVICE_TOKEN,
  ...PARLEY_SERVICE_NAMES.map(developmentServiceToken),
]);

/** True for a credential that is written in Parley's source (a development default). */
export function isPublicServiceToken(token: string): boolean {
  return PUBLIC_TOKENS.has(token);
}

/**
 * Parses `SERVICE_TOKENS` (`name=token,name=token`; whitespace around items ignored). Throws with
 * a message fit for a settings error: a malformed pair, a short token, a name or a token twice.
 */
export function parseServiceTokens(spec: string): Map<string, string> {
  const byName = new Map<string, string>();
  const tokens = new Set<string>();
  for (const item of spec.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq).trim() : '';
    const token = eq > 0 ? item.slice(eq + 1).trim() : '';
    if (!NAME_PATTERN.test(name))
      throw new Error('each entry must be name=token with a lowercase service name');
    if (token.length < MIN_SERVICE_TOKEN_LENGTH)
      throw new Error(`the token of ${name} must have at least ${MIN_SERVICE_TOKEN_LENGTH} characters`);
    if (byName.has(name)) throw new Error(`${name} is listed twice`);
    // One token for two names would make the caller ambiguous (and one service another).
    if (tokens.has(token)) throw new Error(`${name} shares its token with another service`);
    byName.set(name, token);
    tokens.add(token);
  }
  return byName;
}

/**
 * What is wrong with a parsed config's service credentials (none for a config without them):
 * `SERVICE_TOKENS` malformed anywhere; any public default outside development.
 */
export function serviceCredentialProblems(
  config: Record<string, unknown>,
): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const production = config.PARLEY_ENV !== 'development';
  const hint =
    'is a public development default; set a secret of your own (or PARLEY_ENV=development for a local run)';
  if (typeof config.SERVICE_TOKENS === 'string') {
    try {
      const callers = parseServiceTokens(config.SERVICE_TOKENS);
      if (production && [...callers.values()].some(isPublicServiceToken))
        problems.push({ variable: 'SERVICE_TOKENS', message: `holds a token that ${hint}` });
    } catch (error) {
      problems.push({ variable: 'SERVICE_TOKENS', message: (error as Error).message });
    }
  }
  if (production && typeof config.SERVICE_TOKEN === 'string' && isPublicServiceToken(config.SERVICE_TOKEN))
    problems.push({ variable: 'SERVICE_TOKEN', message: hint });
  return problems;
}
