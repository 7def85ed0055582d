/**
 * Which addresses outgoing requests to tenant-named URLs may reach. Only public unicast
 * addresses, by ipaddr.js's ranges (IANA's special-purpose registries, kept current there): a
 * tenant admin who names `http://169.254.169.254/` (cloud metadata), `http://127.0.0.1:6379/`,
 * `http://10.0.0.5/` or a name resolving to one must not make Parley's servers call it. An
 * operator whose identity provider or webhook receiver lives on the private network names those
 * networks explicitly (CIDRs), and only those are let through.
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Thrown (or handed to a connection's callback) when a request would reach a refused address. */
export class EgressRefusedError extends Error {
  readonly code = 'EGRESS_REFUSED';
  /** The host the request named. */
  readonly host: string;
  /** The refused address ('' when the refusal is not about one: no address, a redirect). */
  readonly address: string;

  constructor(host: string, address: string, reason: string) {
    super(`${host} is not reachable from here: ${reason}`);
    this.name = 'EgressRefusedError';
    this.host = host;
    this.address = address;
  }
}

export class AddressPolicy {
  readonly #allowed: [Address, number][];

  /** `allowed`: CIDRs (`10.20.0.0/16`, `fd00::/8`); a bare address means that one address. */
  constructor(allowed: readonly string[] = []) {
    this.#allowed = allowed.map((cidr) => {
      const trimmed = cidr.trim();
      try {
        if (trimmed.includes('/')) return ipaddr.parseCIDR(trimmed);
        const address = ipaddr.parse(trimmed);
        return [address, address.kind() === 'ipv4' ? 32 : 128];
      } catch {
        throw new Error(`not a network (CIDR): ${JSON.stringify(trimmed)}`);
      }
    });
  }

  /** A comma-separated setting (`127.0.0.1/32,10.20.0.0/16`); empty: public addresses only. */
  static parse(setting: string): AddressPolicy {
    return new AddressPolicy(
      setting
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }

  /** Why `address` is refused, or undefined when it may be reached. */
  refusal(address: string): string | undefined {
    let parsed: Address;
    try {
      // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 it is.
      parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
    } catch {
      return `${address} is not an IP address`;
    }
    for (const [network, bits] of this.#allowed)
      if (parsed.kind() === network.kind() && parsed.match(network, bits)) return undefined;
    const range = parsed.range();
    // 'unicast' is ipaddr.js's name for an address in no special-purpose range: a public one.
    // Every other range (loopback, private, linkLocal with the metadata address, uniqueLocal,
    // carrierGradeNat, reserved, 6to4 and teredo, which embed an IPv4 address...) is refused.
    return range === 'unicast' ? undefined : `${parsed.toString()} is a ${range} address`;
  }

  /** Throws EgressRefusedError unless every one of `addresses` may be reached. */
  check(host: string, addresses: readonly string[]): void {
    if (addresses.length === 0) throw new EgressRefusedError(host, '', 'it resolves to no address');
    for (const address of addresses) {
      const reason = this.refusal(address);
      if (reason) throw new EgressRefusedError(host, address, reason);
    }
  }
}
