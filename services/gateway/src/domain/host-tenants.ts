/**
 * The tenant a request's host names, for sign-in and sign-up without `/tenants/:tenant` in the
 * path (`acme.chat.example` -> `acme`). Only hosts the deployment lists are believed: a host the
 * map does not know names no tenant, so a forged Host header reaches nobody else's sign-in.
 */
import { isTenantId } from '@parley/tenancy';

export class HostTenants {
  readonly #byHost = new Map<string, string>();

  /** `acme.chat.example=acme,globex.chat.example=globex` (TENANT_HOSTS). */
  static parse(spec: string): HostTenants {
    const map = new HostTenants();
    for (const entry of spec.split(',').map((e) => e.trim())) {
      if (!entry) continue;
      const [host, tenant, ...rest] = entry.split('=').map((part) => part.trim());
      if (!host || !tenant || rest.length > 0 || !isTenantId(tenant)) {
        throw new Error(`TENANT_HOSTS: "${entry}" is not host=tenant with a valid tenant id`);
      }
      map.#byHost.set(host.toLowerCase(), tenant);
    }
    return map;
  }

  /** The tenant of a Host header (its port ignored), or undefined. */
  tenantOf(hostHeader: string | undefined): string | undefined {
    if (!hostHeader) return undefined;
    const host = hostHeader.toLowerCase().replace(/:\d+$/, '');
    return this.#byHost.get(host);
  }
}
