/**
 * A client for the part of MinIO's admin API (/minio/admin/v3, the version madmin-go v3 and the
 * server we run speak) that manages users and canned policies. The `minio` npm client has no
 * admin API, so this is the small piece of `mc admin user` / `mc admin policy` Parley needs.
 *
 * Requests are signed with AWS SigV4, service "s3" (as madmin-go does), by `aws4`: a zero-dependency,
 * long-lived signer that takes a plain request description, so no SDK is pulled in for one
 * function. Bodies that carry secrets are sealed with madmin's EncryptData (madmin-encryption.ts)
 * under the signing credential's secret key, which is how the server reads them back.
 */
import aws4 from 'aws4';
import { decryptData, encryptData } from './madmin-encryption.ts';
import type { PolicyDocument } from './policy-document.ts';

export type AccountStatus = 'enabled' | 'disabled';

export interface UserInfo {
  status: AccountStatus;
  /** Comma-separated policy names mapped to the user (MinIO's own format), absent when none. */
  policyName?: string;
  /** Groups the user belongs to (each group's policies apply to the user too). */
  memberOf?: string[];
  updatedAt?: string;
}

export interface MinioAdminOptions {
  /** http(s)://host:port of the MinIO server. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** The server's region; MinIO accepts us-east-1 unless configured with another. */
  region?: string;
  /** Per request, including the key derivation of encrypted bodies. */
  timeoutMs?: number;
  /**
   * How encrypted bodies (add-user) derive their key from our secret key. 'pbkdf2' (the default)
   * is madmin's FIPS-mode format, which every server reads; 'argon2id' is madmin's usual one.
   * Argon2id protects nothing here: its work factor guards low-entropy passwords against offline
   * guessing, but every SigV4-signed request already lets an eavesdropper test guesses of the
   * same secret key at a few HMACs each, so a weak key is lost either way and a strong one is
   * safe either way (and production traffic runs over TLS). Meanwhile the server runs every
   * argon2id derivation (64 MiB) behind one process-wide lock: measured on the local stack,
   * 8 users created at once took 2.6 s with argon2id and 0.26 s with PBKDF2, which is the
   * difference between a 100-tenant rollout waiting on MinIO or not.
   */
  bodyKdf?: 'argon2id' | 'pbkdf2';
}

/** An error answer of the admin API: HTTP status and MinIO's code (e.g. XMinioAdminNoSuchUser). */
export class MinioAdminError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'MinioAdminError';
    this.status = status;
    this.code = code;
  }
}

const NO_SUCH_USER = 'XMinioAdminNoSuchUser';
const NO_SUCH_POLICY = 'XMinioAdminNoSuchPolicy';

export class MinioAdmin {
  readonly #url: URL;
  readonly #accessKey: string;
  readonly #secretKey: string;
  readonly #region: string;
  readonly #timeoutMs: number;
  readonly #bodyKdf: 'argon2id' | 'pbkdf2';

  constructor(options: MinioAdminOptions) {
    this.#url = new URL(options.endpoint);
    this.#accessKey = options.accessKey;
    this.#secretKey = options.secretKey;
    this.#region = options.region ?? 'us-east-1';
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#bodyKdf = options.bodyKdf ?? 'pbkdf2';
  }

  /** A client of the same server that signs as another identity (e.g. to check a user's keys). */
  withCredentials(accessKey: string, secretKey: string): MinioAdmin {
    return new MinioAdmin({
      endpoint: this.#url.toString(),
      accessKey,
      secretKey,
      region: this.#region,
      timeoutMs: this.#timeoutMs,
      bodyKdf: this.#bodyKdf,
    });
  }

  /** The user's status, policies and groups, or undefined when there is no such user. */
  async userInfo(accessKey: string): Promise<UserInfo | undefined> {
    try {
      return JSON.parse((await this.#call('GET', 'user-info', { accessKey })).toString('utf8')) as UserInfo;
    } catch (error) {
      if (error instanceof MinioAdminError && error.code === NO_SUCH_USER) return undefined;
      throw error;
    }
  }

  /**
   * Whether the server recognises this client's own access key and secret (a user checking that
   * its credentials still work): it asks for its own user-info and reads the answer's code. A
   * user denied admin calls gets AccessDenied, which still proves the signature was good.
   */
  async credentialsRecognised(): Promise<boolean> {
    try {
      await this.#call('GET', 'user-info', { accessKey: this.#accessKey });
      return true;
    } catch (error) {
      if (!(error instanceof MinioAdminError)) throw error;
      // Both come after the signature was checked (the root user is no "user", so it has no info).
      if (error.code === 'AccessDenied' || error.code === NO_SUCH_USER) return true;
      if (error.code === 'InvalidAccessKeyId' || error.code === 'SignatureDoesNotMatch') return false;
      throw error;
    }
  }

  /** Every user (the server encrypts this answer with madmin's format). */
  async listUsers(): Promise<Record<string, UserInfo>> {
    const sealed = await this.#call('GET', 'list-users', {});
    return JSON.parse((await decryptData(this.#secretKey, sealed)).toString('utf8')) as Record<
      string,
      UserInfo
    >;
  }

  /**
   * Creates the user, or rewrites its secret key and status when it exists (add-user does both).
   * Its policy mapping and groups are left as they are. The body is encrypted: it holds a secret.
   */
  async setUser(accessKey: string, secretKey: string, status: AccountStatus = 'enabled'): Promise<void> {
    const body = await encryptData(this.#secretKey, Buffer.from(JSON.stringify({ secretKey, status })), {
      kdf: this.#bodyKdf,
    });
    await this.#call('PUT', 'add-user', { accessKey }, body);
  }

  async setUserStatus(accessKey: string, status: AccountStatus): Promise<void> {
    await this.#call('PUT', 'set-user-status', { accessKey, status });
  }

  /** Removes the user (and its policy mapping); false when it was already gone. */
  async removeUser(accessKey: string): Promise<boolean> {
    try {
      await this.#call('DELETE', 'remove-user', { accessKey });
      return true;
    } catch (error) {
      if (error instanceof MinioAdminError && error.code === NO_SUCH_USER) return false;
      throw error;
    }
  }

  /** The canned policy's document, or undefined when there is no such policy. */
  async cannedPolicy(name: string): Promise<PolicyDocument | undefined> {
    try {
      return JSON.parse((await this.#call('GET', 'info-canned-policy', { name })).toString('utf8'));
    } catch (error) {
      if (error instanceof MinioAdminError && error.code === NO_SUCH_POLICY) return undefined;
      throw error;
    }
  }

  /** Every canned policy by name, with its document (one call, whatever their number). */
  async listCannedPolicies(): Promise<Record<string, PolicyDocument>> {
    return JSON.parse((await this.#call('GET', 'list-canned-policies', {})).toString('utf8')) as Record<
      string,
      PolicyDocument
    >;
  }

  /** Creates or replaces the canned policy. */
  async putCannedPolicy(name: string, document: PolicyDocument): Promise<void> {
    await this.#call('PUT', 'add-canned-policy', { name }, Buffer.from(JSON.stringify(document)));
  }

  /**
   * Removes the canned policy; succeeds when it is already gone (the server ignores a missing
   * one). The server refuses (XMinioIAMPolicyInUse) while a user or group is mapped to it:
   * remove or remap those first.
   */
  async removeCannedPolicy(name: string): Promise<void> {
    await this.#call('DELETE', 'remove-canned-policy', { name });
  }

  /**
   * Maps exactly these policies to the user, replacing whatever was mapped before
   * (set-user-or-group-policy; a comma-separated list names several).
   */
  async setUserPolicy(accessKey: string, policyName: string): Promise<void> {
    await this.#call('PUT', 'set-user-or-group-policy', {
      policyName,
      userOrGroup: accessKey,
      isGroup: 'false',
    });
  }

  /** Takes the user out of a group, so the group's policies no longer apply to it. */
  async removeUserFromGroup(accessKey: string, group: string): Promise<void> {
    await this.#call(
      'PUT',
      'update-group-members',
      {},
      Buffer.from(JSON.stringify({ group, members: [accessKey], isRemove: true })),
    );
  }

  async #call(
    method: 'GET' | 'PUT' | 'DELETE',
    operation: string,
    query: Record<string, string>,
    body?: Buffer,
  ): Promise<Buffer> {
    const search = Object.entries(query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    const path = `/minio/admin/v3/${operation}${search ? `?${search}` : ''}`;
    const signed = aws4.sign(
      {
        host: this.#url.host,
        path,
        method,
        service: 's3',
        region: this.#region,
        headers: body ? { 'Content-Type': 'application/octet-stream' } : {},
        ...(body ? { body } : {}),
      },
      { accessKeyId: this.#accessKey, secretAccessKey: this.#secretKey },
    );
    // fetch sets Host and Content-Length itself (to the values that were signed).
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower !== 'host' && lower !== 'content-length' && value !== undefined)
        headers[name] = String(value);
    }
    const response = await fetch(new URL(path, this.#url), {
      method,
      headers,
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const answer = Buffer.from(await response.arrayBuffer());
    if (!response.ok) throw errorFrom(response.status, operation, answer);
    return answer;
  }
}

function errorFrom(status: number, operation: string, answer: Buffer): MinioAdminError {
  let code = `HTTP${status}`;
  let message = '';
  try {
    const parsed = JSON.parse(answer.toString('utf8')) as { Code?: string; Message?: string };
    code = parsed.Code ?? code;
    message = parsed.Message ?? '';
  } catch {
    // Not JSON (a proxy's error page): the status says enough; the body is not echoed.
  }
  return new MinioAdminError(
    status,
    code,
    `MinIO admin ${operation} failed: ${code}${message ? ` (${message})` : ''}`,
  );
}
