/**
 * The crypto service's typed client. Every call is tenant-scoped, validated by the service, and
 * runs under the transport's timeout, retry and circuit breaker. Rotation without a request key
 * gets a random one here, so a retried rotation (lost answer) still rotates once.
 */
import { randomUUID } from 'node:crypto';
import type { GenerateDataKeyResponse, KeyMetadataBody } from '@parley/contracts';
import { ResilientTransport, type TransportOptions } from './resilient-transport.ts';

export type CryptoClientOptions = TransportOptions;

export interface DataKeyPair {
  plaintext: Buffer;
  wrapped: Buffer;
  keyName: string;
  keyVersion: number;
}

const b64 = (value: Uint8Array) => Buffer.from(value).toString('base64');
const bytes = (value: string) => Buffer.from(value, 'base64');
const seg = (value: string) => encodeURIComponent(value);

export class CryptoClient {
  readonly transport: ResilientTransport;

  constructor(options: CryptoClientOptions) {
    this.transport = new ResilientTransport(options);
  }

  private base(tenant: string): string {
    return `/v1/tenants/${seg(tenant)}`;
  }

  ensureKey(tenant: string, keyName = 'default'): Promise<KeyMetadataBody> {
    return this.transport.request('PUT', `${this.base(tenant)}/keys/${seg(keyName)}`);
  }

  getKey(tenant: string, keyName = 'default'): Promise<KeyMetadataBody> {
    return this.transport.request('GET', `${this.base(tenant)}/keys/${seg(keyName)}`);
  }

  async listKeys(tenant: string): Promise<KeyMetadataBody[]> {
    const body = await this.transport.request<{ keys: KeyMetadataBody[] }>(
      'GET',
      `${this.base(tenant)}/keys`,
    );
    return body.keys;
  }

  rotate(
    tenant: string,
    keyName = 'default',
    options: { requestKey?: string } = {},
  ): Promise<{ version: number; rotated: boolean; key: KeyMetadataBody }> {
    return this.transport.request('POST', `${this.base(tenant)}/keys/${seg(keyName)}/rotate`, {
      requestKey: options.requestKey ?? randomUUID(),
    });
  }

  setMinDecryptionVersion(
    tenant: string,
    keyName: string,
    minDecryptionVersion: number,
  ): Promise<KeyMetadataBody> {
    return this.transport.request('PUT', `${this.base(tenant)}/keys/${seg(keyName)}/min-decryption-version`, {
      minDecryptionVersion,
    });
  }

  scheduleDestruction(tenant: string, keyName: string, waitingDays: number): Promise<KeyMetadataBody> {
    return this.transport.request('PUT', `${this.base(tenant)}/keys/${seg(keyName)}/destruction`, {
      waitingDays,
    });
  }

  cancelDestruction(tenant: string, keyName: string): Promise<KeyMetadataBody> {
    return this.transport.request('DELETE', `${this.base(tenant)}/keys/${seg(keyName)}/destruction`);
  }

  async generateDataKey(
    tenant: string,
    purpose: string,
    options: { keyName?: string } = {},
  ): Promise<DataKeyPair> {
    const body = await this.transport.request<GenerateDataKeyResponse>(
      'POST',
      `${this.base(tenant)}/data-keys`,
      {
        purpose,
        ...(options.keyName ? { keyName: options.keyName } : {}),
      },
    );
    return {
      plaintext: bytes(body.plaintext),
      wrapped: bytes(body.wrapped),
      keyName: body.keyName,
      keyVersion: body.keyVersion,
    };
  }

  async decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer> {
    const body = await this.transport.request<{ plaintext: string }>(
      'POST',
      `${this.base(tenant)}/data-keys/decrypt`,
      {
        purpose,
        wrapped: b64(wrapped),
      },
    );
    return bytes(body.plaintext);
  }

  async encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: { keyName?: string; aad?: Uint8Array } = {},
  ): Promise<Buffer> {
    const body = await this.transport.request<{ ciphertext: string }>(
      'POST',
      `${this.base(tenant)}/encrypt`,
      {
        purpose,
        plaintext: b64(plaintext),
        ...(options.keyName ? { keyName: options.keyName } : {}),
        ...(options.aad ? { aad: b64(options.aad) } : {}),
      },
    );
    return bytes(body.ciphertext);
  }

  async decrypt(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<Buffer> {
    const body = await this.transport.request<{ plaintext: string }>('POST', `${this.base(tenant)}/decrypt`, {
      purpose,
      ciphertext: b64(ciphertext),
      ...(options.aad ? { aad: b64(options.aad) } : {}),
    });
    return bytes(body.plaintext);
  }

  async rewrap(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<{ ciphertext: Buffer; keyVersion: number; rewrapped: boolean }> {
    const body = await this.transport.request<{ ciphertext: string; keyVersion: number; rewrapped: boolean }>(
      'POST',
      `${this.base(tenant)}/rewrap`,
      { purpose, ciphertext: b64(ciphertext), ...(options.aad ? { aad: b64(options.aad) } : {}) },
    );
    return { ciphertext: bytes(body.ciphertext), keyVersion: body.keyVersion, rewrapped: body.rewrapped };
  }
}
