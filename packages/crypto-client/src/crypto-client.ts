/**
 * The crypto service's typed client. Every call is tenant-scoped, validated by the service, and
 * runs under the transport's timeout, retry and circuit breaker; every answer is checked against
 * the same schema the service answers with, so a proxy's error page or a version mismatch fails
 * here, loudly, rather than as `undefined` deep in a caller. Rotation without a request key gets
 * a random one here, so a retried rotation (lost answer) still rotates once.
 *
 * The transport (@parley/service-http) repeats only what is safe to repeat. The POSTs below are:
 * encrypt, decrypt, rewrap and the data-key calls change no key state a caller can see (a second
 * answer is as good as the first), and rotate carries its request key.
 */
import { randomUUID } from 'node:crypto';
import {
  DecryptDataKeyResponseSchema,
  DecryptResponseSchema,
  EncryptResponseSchema,
  GenerateDataKeyResponseSchema,
  KeyListSchema,
  type KeyMetadataBody,
  KeyMetadataSchema,
  RewrapResponseSchema,
  RotateKeyResponseSchema,
} from '@parley/contracts';
import { PROBLEM_BASE } from '@parley/kit';
import { type HttpMethod, ServiceHttp, type ServiceHttpOptions } from '@parley/service-http';
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { CRYPTO_SERVICE, CryptoServiceError } from './crypto-service-error.ts';

/** The transport's settings (its service name is `crypto`); or pass a ServiceHttp to share. */
export type CryptoClientOptions = Omit<ServiceHttpOptions, 'service'>;

export interface DataKeyPair {
  plaintext: Buffer;
  wrapped: Buffer;
  keyName: string;
  keyVersion: number;
}

const validators = new Map<TSchema, ReturnType<typeof Compile>>();
function checked<S extends TSchema>(schema: S, value: unknown): Static<S> {
  let validator = validators.get(schema);
  if (!validator) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  if (!validator.Check(value)) {
    throw new CryptoServiceError({
      service: CRYPTO_SERVICE,
      status: 502,
      type: `${PROBLEM_BASE}invalid-response`,
      title: 'Invalid response',
      detail: 'the answer does not match its schema',
    });
  }
  return value as Static<S>;
}

const b64 = (value: Uint8Array) => Buffer.from(value).toString('base64');
const bytes = (value: string) => Buffer.from(value, 'base64');
const seg = (value: string) => encodeURIComponent(value);
const withAad = (aad: Uint8Array | undefined) => (aad ? { aad: b64(aad) } : {});
const withKeyName = (keyName: string | undefined) => (keyName ? { keyName } : {});

export class CryptoClient {
  readonly transport: ServiceHttp;

  constructor(options: CryptoClientOptions | ServiceHttp) {
    if (options instanceof ServiceHttp && options.service !== CRYPTO_SERVICE)
      throw new Error(
        `a CryptoClient needs the transport of service "${CRYPTO_SERVICE}", not "${options.service}"`,
      );
    this.transport =
      options instanceof ServiceHttp ? options : new ServiceHttp({ ...options, service: CRYPTO_SERVICE });
  }

  private async call<S extends TSchema>(
    schema: S,
    method: HttpMethod,
    tenant: string,
    path: string,
    body?: unknown,
  ): Promise<Static<S>> {
    // Every call here is safe to repeat: GET/PUT/DELETE by their method, the POSTs by what they do.
    const answer = await this.transport.request(method, `/v1/tenants/${seg(tenant)}${path}`, body, {
      idempotent: true,
    });
    return checked(schema, answer);
  }

  ensureKey(tenant: string, keyName = 'default'): Promise<KeyMetadataBody> {
    return this.call(KeyMetadataSchema, 'PUT', tenant, `/keys/${seg(keyName)}`);
  }

  getKey(tenant: string, keyName = 'default'): Promise<KeyMetadataBody> {
    return this.call(KeyMetadataSchema, 'GET', tenant, `/keys/${seg(keyName)}`);
  }

  async listKeys(tenant: string): Promise<KeyMetadataBody[]> {
    return (await this.call(KeyListSchema, 'GET', tenant, '/keys')).keys;
  }

  rotate(
    tenant: string,
    keyName = 'default',
    options: { requestKey?: string } = {},
  ): Promise<{ version: number; rotated: boolean; key: KeyMetadataBody }> {
    return this.call(RotateKeyResponseSchema, 'POST', tenant, `/keys/${seg(keyName)}/rotate`, {
      requestKey: options.requestKey ?? randomUUID(),
    });
  }

  setMinDecryptionVersion(
    tenant: string,
    keyName: string,
    minDecryptionVersion: number,
  ): Promise<KeyMetadataBody> {
    return this.call(KeyMetadataSchema, 'PUT', tenant, `/keys/${seg(keyName)}/min-decryption-version`, {
      minDecryptionVersion,
    });
  }

  scheduleDestruction(tenant: string, keyName: string, waitingDays: number): Promise<KeyMetadataBody> {
    return this.call(KeyMetadataSchema, 'PUT', tenant, `/keys/${seg(keyName)}/destruction`, { waitingDays });
  }

  cancelDestruction(tenant: string, keyName: string): Promise<KeyMetadataBody> {
    return this.call(KeyMetadataSchema, 'DELETE', tenant, `/keys/${seg(keyName)}/destruction`);
  }

  async generateDataKey(
    tenant: string,
    purpose: string,
    options: { keyName?: string } = {},
  ): Promise<DataKeyPair> {
    const body = await this.call(GenerateDataKeyResponseSchema, 'POST', tenant, '/data-keys', {
      purpose,
      ...withKeyName(options.keyName),
    });
    return {
      plaintext: bytes(body.plaintext),
      wrapped: bytes(body.wrapped),
      keyName: body.keyName,
      keyVersion: body.keyVersion,
    };
  }

  async decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer> {
    const body = await this.call(DecryptDataKeyResponseSchema, 'POST', tenant, '/data-keys/decrypt', {
      purpose,
      wrapped: b64(wrapped),
    });
    return bytes(body.plaintext);
  }

  async encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: { keyName?: string; aad?: Uint8Array } = {},
  ): Promise<Buffer> {
    const body = await this.call(EncryptResponseSchema, 'POST', tenant, '/encrypt', {
      purpose,
      plaintext: b64(plaintext),
      ...withKeyName(options.keyName),
      ...withAad(options.aad),
    });
    return bytes(body.ciphertext);
  }

  async decrypt(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<Buffer> {
    const body = await this.call(DecryptResponseSchema, 'POST', tenant, '/decrypt', {
      purpose,
      ciphertext: b64(ciphertext),
      ...withAad(options.aad),
    });
    return bytes(body.plaintext);
  }

  async rewrap(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<{ ciphertext: Buffer; keyVersion: number; rewrapped: boolean }> {
    const body = await this.call(RewrapResponseSchema, 'POST', tenant, '/rewrap', {
      purpose,
      ciphertext: b64(ciphertext),
      ...withAad(options.aad),
    });
    return { ciphertext: bytes(body.ciphertext), keyVersion: body.keyVersion, rewrapped: body.rewrapped };
  }
}
