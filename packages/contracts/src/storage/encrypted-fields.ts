/**
 * Where stored data is sealed under a tenant key: the contract between the code that writes a
 * keyring ciphertext into a document and the background rewrap (packages/keyring's
 * StoredCiphertextRewrap, run by the operator for a KeyRotationSchedule with
 * `rewrapPolicy: Background`), which must find every such ciphertext after a rotation without
 * knowing the writer. A writer that stores a new keyring ciphertext adds its field here. A field
 * not listed is never re-wrapped, and the operator's rule "raise the minimum decryption version
 * only once every ciphertext is at the new version" cannot protect what it cannot see.
 *
 * Pure data (no functions), so the declaration is readable by any process and testable alone.
 * Every field holds a keyring ciphertext (any kind) as base64; a document without the field is
 * skipped.
 */

import { CONVERSATION_TEXT_PURPOSE, MESSAGE_BODY_PURPOSE } from '../events/messaging.ts';

export interface EncryptedFieldDeclaration {
  /** Names the field in progress reports: `<owner>.<collection>.<field>`. */
  id: string;
  /** The service that writes it. */
  owner: string;
  /**
   * `tenant`: the tenant's own database (`parley_<tenant>`); `platform`: `parley_platform`, where
   * `tenantField` names the tenant of each document.
   */
  database: 'tenant' | 'platform';
  collection: string;
  /** Dotted path of the base64 ciphertext. */
  field: string;
  /** The keyring purpose it was sealed for. */
  purpose: string;
  /** Dotted path of the string the writer passed as the caller AAD (UTF-8), if any. */
  aadField?: string;
  /** Platform fields only: the document field holding the tenant id. */
  tenantField?: string;
  /**
   * Where the field's writers take a per-document lock, if they do (kit's withDocumentLock:
   * FerretDB loses one of two concurrent updates of one document): a collection of the same
   * database, whose lock `_id` is `idPrefix` + the document's `_id`. The rewrap holds it for each
   * rewrite, so it never writes back a body a delete had just removed, nor loses an edit.
   */
  lock?: { collection: string; idPrefix?: string };
}

/** The keyring purpose of auth's sealed TOTP secrets (AAD: the user id). */
export const TOTP_SECRET_PURPOSE = 'auth.totp-secret';
/** The keyring purpose of auth's sealed access-token signing keys (AAD: the key id). */
export const SIGNING_KEY_PURPOSE = 'auth.signing-key';
/** The keyring purpose of a tenant's OIDC client secret (AAD: the provider's issuer). */
export const OIDC_CLIENT_SECRET_PURPOSE = 'auth.oidc-client-secret';

/** Written by services/auth (domain/mfa.ts, domain/second-factor.ts, domain/signing-keys.ts, domain/oidc-providers.ts). */
export const AUTH_ENCRYPTED_FIELDS: readonly EncryptedFieldDeclaration[] = [
  {
    id: 'auth.users.totp.sealedSecret',
    owner: 'auth',
    database: 'tenant',
    collection: 'users',
    field: 'totp.sealedSecret',
    purpose: TOTP_SECRET_PURPOSE,
    aadField: '_id',
  },
  {
    id: 'auth.users.totpPending.sealedSecret',
    owner: 'auth',
    database: 'tenant',
    collection: 'users',
    field: 'totpPending.sealedSecret',
    purpose: TOTP_SECRET_PURPOSE,
    aadField: '_id',
  },
  {
    id: 'auth.auth_signing_keys.sealedPrivateKey',
    owner: 'auth',
    database: 'platform',
    collection: 'auth_signing_keys',
    field: 'sealedPrivateKey',
    purpose: SIGNING_KEY_PURPOSE,
    aadField: 'kid',
    tenantField: 'tenant',
  },
  {
    id: 'auth.sso_providers.sealedClientSecret',
    owner: 'auth',
    database: 'tenant',
    collection: 'sso_providers',
    field: 'sealedClientSecret',
    purpose: OIDC_CLIENT_SECRET_PURPOSE,
    aadField: 'issuer',
  },
];

/**
 * Written by services/messaging (domain/body-sealer.ts, domain/conversation-text.ts): envelope
 * ciphertexts (kind 3) of message bodies, of the bodies edits replaced, and of conversation names
 * and topics. A log entry's intent holds one only until it is applied
 * (milliseconds, or until a crash is repaired), so it is listed too.
 */
export const MESSAGING_ENCRYPTED_FIELDS: readonly EncryptedFieldDeclaration[] = [
  {
    id: 'messaging.messages.body',
    owner: 'messaging',
    database: 'tenant',
    collection: 'messages',
    field: 'body',
    purpose: MESSAGE_BODY_PURPOSE,
    aadField: '_id',
    lock: { collection: 'message_locks' },
  },
  {
    id: 'messaging.message_edits.body',
    owner: 'messaging',
    database: 'tenant',
    collection: 'message_edits',
    field: 'body',
    purpose: MESSAGE_BODY_PURPOSE,
    aadField: 'messageId',
  },
  {
    id: 'messaging.message_log.intent.body',
    owner: 'messaging',
    database: 'tenant',
    collection: 'message_log',
    field: 'intent.body',
    purpose: MESSAGE_BODY_PURPOSE,
    aadField: 'messageId',
  },
  {
    id: 'messaging.conversations.sealedName',
    owner: 'messaging',
    database: 'tenant',
    collection: 'conversations',
    field: 'sealedName',
    purpose: CONVERSATION_TEXT_PURPOSE,
    aadField: '_id',
    lock: { collection: 'message_locks', idPrefix: 'conversation:' },
  },
  {
    id: 'messaging.conversations.sealedTopic',
    owner: 'messaging',
    database: 'tenant',
    collection: 'conversations',
    field: 'sealedTopic',
    purpose: CONVERSATION_TEXT_PURPOSE,
    aadField: '_id',
    lock: { collection: 'message_locks', idPrefix: 'conversation:' },
  },
];

/**
 * Every stored keyring ciphertext that a tenant key rotation may leave behind. Deliberately not
 * listed: audit records' sealed personal fields (compliance, purpose `audit.pii`). They are under
 * each person's `subject:<id>` key (which a KeyRotationSchedule cannot name) and inside the
 * hash-chained audit log, where re-writing a ciphertext would read as tampering. Nor sealed
 * payloads that live only in Kafka events (auth's sign-up and invitation deliveries, purposes
 * `auth.sign-up-delivery` and `auth.invitation-delivery`): a topic's messages cannot be rewritten; they are short-lived (the
 * link expires), so retire a version only after the events sealed under it are of no use.
 */
export const ENCRYPTED_FIELDS: readonly EncryptedFieldDeclaration[] = [
  ...AUTH_ENCRYPTED_FIELDS,
  ...MESSAGING_ENCRYPTED_FIELDS,
];
