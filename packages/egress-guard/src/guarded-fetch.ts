/**
 * fetch for URLs a tenant names, through an undici Agent whose every connection is checked by an
 * AddressPolicy: the host is resolved and every address it resolves to must be allowed (one
 * private answer among public ones refuses the name), and the check runs when the socket is
 * opened, on the addresses it then connects to. So a name that passes a check at configuration
 * time and is later pointed at 127.0.0.1 (DNS rebinding), an IP literal, or any URL a provider's
 * document leads to (JWKS, token endpoint) is refused alike. Redirects are followed only within
 * the same origin (and only for GET and HEAD); one to another host is refused, never followed.
 */
import { promises as dns } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, type RequestInit, type Response, fetch as undiciFetch } from 'undici';
import { type AddressPolicy, EgressRefusedError } from './address-policy.ts';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** A name's addresses (all of them); the system resolver by default, injectable for tests. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (host) => dns.lookup(host, { all: true, verbatim: true });

export interface GuardedFetchOptions {
  policy: AddressPolicy;
  resolve?: Resolver;
  /** The TCP (and TLS) connection's own time limit; the caller's signal bounds the whole request. */
  connectTimeoutMs?: number;
  /** Same-origin redirects followed at most (GET and HEAD only). */
  maxRedirects?: number;
}

export type GuardedFetch = ((input: string | URL, init?: RequestInit) => Promise<Response>) & {
  /** Closes the pooled connections. */
  close(): Promise<void>;
};

const bare = (host: string) => host.replace(/^\[|\]$/g, '');

/** Throws EgressRefusedError unless `url` is http(s) and every address of its host is allowed. */
export async function assertReachable(
  url: URL,
  policy: AddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new EgressRefusedError(url.host, '', `${url.protocol} is not http or https`);
  const host = bare(url.hostname);
  if (isIP(host)) return policy.check(host, [host]);
  const addresses = await resolve(host).catch((error: unknown) => {
    throw new EgressRefusedError(host, '', `it does not resolve (${(error as Error).message})`);
  });
  policy.check(
    host,
    addresses.map((a) => a.address),
  );
}

export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const { policy, resolve = systemResolver, maxRedirects = 3 } = options;
  // Called by net/tls.connect for a name (never for an IP literal, checked below instead).
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (addresses) => {
        try {
          policy.check(
            hostname,
            addresses.map((a) => a.address),
          );
        } catch (error) {
          callback(error as NodeJS.ErrnoException, '', 0);
          return;
        }
        const wanted = lookupOptions.family
          ? addresses.filter((a) => a.family === lookupOptions.family)
          : addresses;
        if (lookupOptions.all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, wanted);
        else if (wanted[0]) callback(null, wanted[0].address, wanted[0].family);
        else callback(new EgressRefusedError(hostname, '', 'no address of the wanted family'), '', 0);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
  const connector = buildConnector({ lookup, timeout: options.connectTimeoutMs ?? 10_000 });
  const agent = new Agent({
    connect(connectOptions, callback) {
      const host = bare(connectOptions.hostname);
      const reason = isIP(host) ? policy.refusal(host) : undefined;
      if (reason) callback(new EgressRefusedError(host, host, reason), null);
      else connector(connectOptions, callback);
    },
  });

  const guarded = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const follow = (init.redirect ?? 'follow') === 'follow' && (method === 'GET' || method === 'HEAD');
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new EgressRefusedError(url.host, '', `${url.protocol} is not http or https`);
      const response = await undiciFetch(url, { ...init, redirect: 'manual', dispatcher: agent });
      const location = response.headers.get('location');
      if (!follow || response.status < 300 || response.status > 399 || !location) return response;
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== url.origin)
        throw new EgressRefusedError(
          next.host,
          '',
          `a redirect from ${url.host} to another host is not followed`,
        );
      if (hop >= maxRedirects) throw new EgressRefusedError(url.host, '', 'too many redirects');
      url = next;
    }
  };
  return Object.assign(guarded, { close: () => agent.close() });
}
