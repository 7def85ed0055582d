/**
 * What each calling service may do with keys. A service credential says who calls
 * (kit's ServiceCallers); this says what that caller may use:
 *
 * - a key **purpose** belongs to the services that own the data sealed under it: auth's signing
 *   keys (`auth.signing-key`) open only for auth, so no other credential can unwrap them and mint
 *   tokens; personal data in the audit log (`audit.pii`) only for compliance; and so on. A purpose
 *   that no rule names is refused to everyone (closed by default: a new purpose is added here).
 * - **managing keys** (create, rotate, raise the minimum, schedule or cancel a destruction) is for
 *   the operator (provisioning, rotation, CryptoShred) and compliance (subject keys, erasure);
 *   reading key metadata is open to every known caller.
 */
import {
  AUDIT_PII_PURPOSE,
  INVITATION_DELIVERY_PURPOSE,
  MESSAGE_BODY_PURPOSE,
  SIGN_UP_DELIVERY_PURPOSE,
} from '@parley/contracts';

export interface PurposeOwner {
  /** An exact purpose, a prefix ending in `.` (`auth.`), or `*` for every purpose (tests). */
  purpose: string;
  services: readonly string[];
  /**
   * Services that may only open data keys of this purpose (`POST /data-keys/decrypt`): read what
   * the owners sealed, never seal, encrypt or decrypt anything else with it.
   */
  openers?: readonly string[];
}

/** Parley's purposes and their owners; the first rule that matches decides. */
export const PARLEY_PURPOSE_OWNERS: readonly PurposeOwner[] = [
  // Sealed by auth for the mail the notifier sends.
  { purpose: SIGN_UP_DELIVERY_PURPOSE, services: ['auth', 'notifier'] },
  { purpose: INVITATION_DELIVERY_PURPOSE, services: ['auth', 'notifier'] },
  // Signing keys, TOTP secrets, and whatever else auth seals: auth's alone.
  { purpose: 'auth.', services: ['auth'] },
  { purpose: AUDIT_PII_PURPOSE, services: ['compliance'] },
  { purpose: 'audit.', services: ['compliance'] },
  { purpose: 'gdpr.', services: ['compliance'] },
  // Message bodies as messaging seals them (at rest and in its events): the socket replicas open
  // the data keys of the bodies its events carry, to emit a new message straight from its record
  // (services/socket/README.md, "Payloads"); they seal nothing.
  { purpose: MESSAGE_BODY_PURPOSE, services: ['messaging', 'search'], openers: ['socket'] },
  // Message bodies: written by messaging, read by search to index them.
  { purpose: 'messages.', services: ['messaging', 'search'] },
  { purpose: 'media.', services: ['media'] },
];

export const PARLEY_KEY_ADMINS: readonly string[] = ['operator', 'compliance'];

const matches = (rule: string, purpose: string) =>
  rule === '*' || rule === purpose || (rule.endsWith('.') && purpose.startsWith(rule));

export class CallerAccess {
  readonly #owners: readonly PurposeOwner[];
  readonly #keyAdmins: readonly string[];

  constructor(options: { purposeOwners?: readonly PurposeOwner[]; keyAdmins?: readonly string[] } = {}) {
    this.#owners = options.purposeOwners ?? PARLEY_PURPOSE_OWNERS;
    this.#keyAdmins = options.keyAdmins ?? PARLEY_KEY_ADMINS;
  }

  mayUsePurpose(caller: string | undefined, purpose: string): boolean {
    const rule = this.#owners.find((r) => matches(r.purpose, purpose));
    return caller !== undefined && (rule?.services.includes(caller) ?? false);
  }

  /** May unwrap a data key of this purpose (an owner may, and so may the purpose's openers). */
  mayOpenDataKey(caller: string | undefined, purpose: string): boolean {
    if (this.mayUsePurpose(caller, purpose)) return true;
    const rule = this.#owners.find((r) => matches(r.purpose, purpose));
    return caller !== undefined && (rule?.openers?.includes(caller) ?? false);
  }

  mayManageKeys(caller: string | undefined): boolean {
    return caller !== undefined && this.#keyAdmins.includes(caller);
  }
}
