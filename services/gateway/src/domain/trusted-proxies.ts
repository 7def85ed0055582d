/**
 * The proxies in front of the gateway whose X-Forwarded-For it believes (TRUSTED_PROXIES). The
 * client's address (`request.ip`) keys the per-address rate limit and is written into every audit
 * record, so it must not be whatever a caller writes in a header: Fastify's trustProxy (proxy-addr)
 * walks X-Forwarded-For from the nearest hop back and stops at the first address that is not a
 * trusted proxy. With no trusted proxies the peer's own address is the client, and a forwarded
 * header is ignored entirely.
 */
import { isIP } from 'node:net';
import { listSetting } from '../settings.ts';

export class InvalidTrustedProxyError extends Error {}

/** `10.0.0.0/8, 192.168.1.7, fd00::/8` -> the list Fastify's trustProxy takes; anything else throws. */
export function parseTrustedProxies(value: string): string[] {
  return listSetting(value).map((entry) => {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || rest.length > 0 || !prefixOk)
      throw new InvalidTrustedProxyError(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    return entry;
  });
}
