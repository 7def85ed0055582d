/**
 * Internal endpoints are never open: a caller between services presents its service credential
 * in `x-service-token`, compared in constant time. Register per route (or per plugin scope) with
 * `onRequest: requireServiceCredential(callers, { allow: ['operator'] })`.
 *
 * `callers` (from `SERVICE_TOKENS`, see ../service-credentials.ts) says which service each token
 * belongs to, so a route can admit only the services that need it, and a handler can read
 * `request.serviceCaller` to scope what the caller may do (the crypto service binds key purposes
 * to their owners this way). A bare token string is one caller named `service` (tests, and
 * services not yet given callers).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { problems } from '../problem.ts';
import { parseServiceTokens } from '../service-credentials.ts';
import { securedBy } from './route-security.ts';

export const SERVICE_TOKEN_HEADER = 'x-service-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The service whose credential the request carries (set by requireServiceCredential). */
    serviceCaller?: string;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The services a process accepts calls from, each known by its own token. */
export class ServiceCallers {
  readonly #digests: { name: string; digest: Buffer }[];

  private constructor(byName: Map<string, string>) {
    this.#digests = [...byName].map(([name, token]) => ({ name, digest: digest(token) }));
  }

  /** From `SERVICE_TOKENS` (`name=token,...`); throws on a malformed list. */
  static parse(spec: string): ServiceCallers {
    return new ServiceCallers(parseServiceTokens(spec));
  }

  static of(tokens: Record<string, string>): ServiceCallers {
    return ServiceCallers.parse(
      Object.entries(tokens)
        .map(([name, token]) => `${name}=${token}`)
        .join(','),
    );
  }

  /** The same callers restricted to `names` (a route or hook that only some services may pass). */
  only(names: readonly string[]): ServiceCallers {
    const subset = new ServiceCallers(new Map());
    subset.#digests.push(...this.#digests.filter((d) => names.includes(d.name)));
    return subset;
  }

  get names(): string[] {
    return this.#digests.map((d) => d.name);
  }

  /** The caller a presented token belongs to, or undefined. Every entry is compared, in constant time. */
  identify(presented: unknown): string | undefined {
    if (typeof presented !== 'string') return undefined;
    // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the length.
    const candidate = digest(presented);
    let found: string | undefined;
    for (const { name, digest: expected } of this.#digests) {
      if (timingSafeEqual(candidate, expected) && found === undefined) found = name;
    }
    return found;
  }

  /** Never print digests, even by accident. */
  toJSON(): { callers: string[] } {
    return { callers: this.names };
  }
}

export interface ServiceCredentialOptions {
  /** Only these callers may pass (403 for the others); every known caller when absent. */
  allow?: readonly string[];
}

const asCallers = (credential: string | ServiceCallers): ServiceCallers =>
  typeof credential === 'string' ? ServiceCallers.of({ service: credential }) : credential;

/** The caller of a request, if it carries a known credential (for hooks that only trust it). */
export function serviceCallerOf(
  request: FastifyRequest,
  credential: string | ServiceCallers,
): string | undefined {
  return asCallers(credential).identify(request.headers[SERVICE_TOKEN_HEADER]);
}

export function requireServiceCredential(
  credential: string | ServiceCallers,
  options: ServiceCredentialOptions = {},
): onRequestHookHandler {
  const callers = asCallers(credential);
  // Marked, so the OpenAPI document says the route takes the service credential (route-security.ts).
  return securedBy('serviceToken', async (request: FastifyRequest) => {
    const caller = callers.identify(request.headers[SERVICE_TOKEN_HEADER]);
    if (!caller) throw problems.unauthorized('A valid service credential is required');
    if (options.allow && !options.allow.includes(caller))
      throw problems.forbidden(`The ${caller} service may not call this endpoint`);
    request.serviceCaller = caller;
  });
}
