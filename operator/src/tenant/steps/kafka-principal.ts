/**
 * The Kafka calls kafkajs lacks, through @platformatic/kafka: SCRAM-SHA-512 users
 * (AlterUserScramCredentials, sent over the admin's bootstrap connection because the admin has no
 * method for it) and client quotas (alterClientQuotas / describeClientQuotas). The salted
 * password is computed here as RFC 5802 says: PBKDF2-HMAC-SHA-512 over the password and a random
 * salt; Kafka derives StoredKey and ServerKey from it.
 */
import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  type Admin,
  alterUserScramCredentialsV0,
  type Connection,
  describeUserScramCredentialsV0,
  kGetBootstrapConnection,
  ScramMechanisms,
} from '@platformatic/kafka';

/** Kafka's minimum for SCRAM-SHA-512 is 4096; more costs every login of the tenant's clients. */
export const SCRAM_ITERATIONS = 8192;

const pbkdf2Async = promisify(pbkdf2);

/** On libuv's thread pool: thousands of SHA-512 rounds must not stall the event loop of every reconcile. */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, 64, 'sha512');
}

function bootstrapConnection(admin: Admin): Promise<Connection> {
  return new Promise((resolve, reject) => {
    admin[kGetBootstrapConnection]((error, connection) => {
      if (error || !connection) reject(error ?? new Error('no bootstrap connection'));
      else resolve(connection);
    });
  });
}

type ScramChange = Parameters<typeof alterUserScramCredentialsV0.api.async>;
type ScramResponse = Awaited<ReturnType<typeof alterUserScramCredentialsV0.api.async>>;

/**
 * Sends AlterUserScramCredentials and returns the per-user results, errors included: the
 * library's parser throws when any result has an error code, with the parsed response attached,
 * and the callers decide which codes are failures (deleting a user that is gone is not).
 */
async function alterScram(...args: ScramChange): Promise<ScramResponse> {
  try {
    return await alterUserScramCredentialsV0.api.async(...args);
  } catch (error) {
    const response = (error as { response?: ScramResponse }).response;
    if (response?.results) return response;
    throw error;
  }
}

function failIfError(results: { user: string; errorCode: number; errorMessage?: string | null }[]): void {
  const failed = results.find((r) => r.errorCode !== 0);
  if (failed) {
    throw new Error(
      `SCRAM credential change for ${failed.user} failed (Kafka error ${failed.errorCode}): ${failed.errorMessage ?? ''}`,
    );
  }
}

/** One AlterUserScramCredentials for many users (the coalesced Kafka principal calls); throws if any failed. */
export async function upsertScramUsers(
  admin: Admin,
  users: { user: string; password: string }[],
): Promise<void> {
  const upsertions = await Promise.all(
    users.map(async ({ user, password }) => {
      const salt = randomBytes(32);
      return {
        name: user,
        mechanism: ScramMechanisms.SCRAM_SHA_512,
        iterations: SCRAM_ITERATIONS,
        salt,
        saltedPassword: await saltedPassword(password, salt, SCRAM_ITERATIONS),
      };
    }),
  );
  const connection = await bootstrapConnection(admin);
  const response = await alterScram(connection, [], upsertions);
  failIfError(response.results);
}

type ScramDescription = Awaited<ReturnType<typeof describeUserScramCredentialsV0.api.async>>;

/**
 * The SCRAM mechanisms and iterations each user has (never the salt or key: Kafka does not
 * answer them), in one DescribeUserScramCredentials; a user without any is absent.
 */
export async function describeScramUsers(
  admin: Admin,
  users: string[],
): Promise<Map<string, { mechanism: number; iterations: number }[]>> {
  const connection = await bootstrapConnection(admin);
  let response: ScramDescription;
  try {
    response = await describeUserScramCredentialsV0.api.async(
      connection,
      users.map((name) => ({ name })),
    );
  } catch (error) {
    // The parser throws when a user has an error code (RESOURCE_NOT_FOUND: no credential).
    const partial = (error as { response?: ScramDescription }).response;
    if (!partial?.results) throw error;
    response = partial;
  }
  const found = new Map<string, { mechanism: number; iterations: number }[]>();
  for (const result of response.results) {
    if (result.errorCode === 0) found.set(result.user, result.credentialInfos);
    else if (result.errorCode !== RESOURCE_NOT_FOUND)
      throw new Error(
        `Describing the SCRAM credential of ${result.user} failed (Kafka error ${result.errorCode}): ${result.errorMessage ?? ''}`,
      );
  }
  return found;
}

const RESOURCE_NOT_FOUND = 91;

/** Whether `infos` hold the SCRAM-SHA-512 credential upsertScramUsers writes. */
export function hasOwnScramCredential(infos: readonly { mechanism: number; iterations: number }[] = []) {
  return infos.some(
    (i) => i.mechanism === ScramMechanisms.SCRAM_SHA_512 && i.iterations === SCRAM_ITERATIONS,
  );
}

export async function upsertScramUser(admin: Admin, user: string, password: string): Promise<void> {
  await upsertScramUsers(admin, [{ user, password }]);
}

/**
 * Revokes a SCRAM user by replacing its credential with one made from a random secret that is
 * never kept, so nothing can authenticate as the user any more. It does not *remove* the
 * credential, on purpose: Kafka 4.1 to 4.3 (ScramDelta.apply, checked in their sources) drop the
 * whole SCRAM-SHA-512 mechanism from the image they rebuild at broker start whenever the replay
 * meets a removed user before any live one, which locks out every SCRAM principal (the platform's
 * admin included) until the metadata log is thrown away. Upserts alone replay safely; each revoked
 * tenant keeps one credential record that no one can use, and a re-created tenant replaces it.
 */
export async function revokeScramUser(admin: Admin, user: string): Promise<void> {
  await upsertScramUsers(admin, [{ user, password: randomBytes(48).toString('base64url') }]);
}

export interface UserQuotas {
  producerByteRate: number;
  consumerByteRate: number;
}

export async function setUserQuotas(admin: Admin, user: string, quotas: UserQuotas): Promise<void> {
  await setQuotasOfUsers(admin, [{ user, quotas }]);
}

/** One AlterClientQuotas for many users (the coalesced Kafka principal calls); throws if any failed. */
export async function setQuotasOfUsers(
  admin: Admin,
  users: { user: string; quotas: UserQuotas }[],
): Promise<void> {
  const results = await admin.alterClientQuotas({
    entries: users.map(({ user, quotas }) => ({
      entities: [{ entityType: 'user', entityName: user }],
      ops: [
        { key: 'producer_byte_rate', value: quotas.producerByteRate, remove: false },
        { key: 'consumer_byte_rate', value: quotas.consumerByteRate, remove: false },
      ],
    })),
  });
  const failed = results.find((r) => r.errorCode !== 0);
  if (failed)
    throw new Error(
      `Client quota change failed (Kafka error ${failed.errorCode}): ${failed.errorMessage ?? ''}`,
    );
}

export async function describeUserQuotas(admin: Admin, user: string): Promise<Record<string, number>> {
  const entries = await admin.describeClientQuotas({
    components: [{ entityType: 'user', matchType: 0, match: user }],
  });
  const values: Record<string, number> = {};
  for (const entry of entries) for (const v of entry.values) values[v.key] = v.value;
  return values;
}

export async function removeUserQuotas(admin: Admin, user: string): Promise<void> {
  await admin.alterClientQuotas({
    entries: [
      {
        entities: [{ entityType: 'user', entityName: user }],
        ops: [
          { key: 'producer_byte_rate', remove: true },
          { key: 'consumer_byte_rate', remove: true },
        ],
      },
    ],
  });
}
