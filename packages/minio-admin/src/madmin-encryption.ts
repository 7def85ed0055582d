/**
 * madmin's EncryptData / DecryptData in TypeScript: the format MinIO's admin API uses for bodies
 * that carry secrets (add-user's request, list-users' response, ...). Read from the sources the
 * server we run is built with: github.com/minio/madmin-go/v3@v3.0.109 encrypt.go and
 * github.com/secure-io/sio-go@v0.3.1 (sio.go, writer.go, reader.go).
 *
 * The whole message:
 *
 *   salt (32) | AEAD id (1) | stream nonce (8) | sio stream
 *
 * - The key is derived from the password (the signing credential's secret key) and the salt:
 *   id 0x00 and 0x01: Argon2id, 1 pass, 64 MiB, 4 lanes, 32 bytes; id 0x02 (FIPS builds):
 *   PBKDF2-HMAC-SHA256, 8192 iterations, 32 bytes.
 * - The AEAD: 0x00 AES-256-GCM, 0x01 ChaCha20-Poly1305 (servers without AES instructions),
 *   0x02 AES-256-GCM. Both take 12-byte nonces: the 8-byte stream nonce, then a little-endian
 *   uint32 sequence number.
 * - The sio stream (secure-io's, not MinIO's older DARE format): the plaintext is cut into
 *   16 KiB fragments, each sealed on its own (16-byte tag each). Sequence number 0 only derives
 *   the stream's associated data: the tag of sealing nothing (with the caller's associated data,
 *   always empty here). Every fragment is sealed with sequence 1, 2, ... and associated data
 *   `flag | that tag`, where the flag is 0x80 on the final fragment and 0x00 before it, so
 *   dropping, reordering or truncating fragments fails authentication. The final fragment holds
 *   1..16384 bytes (0 only when the plaintext is empty).
 *
 * We encrypt with 0x00 (what a non-FIPS client on a CPU with AES does) or 0x02, and decrypt all three.
 */
import { argon2, createCipheriv, createDecipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const argon2Async = promisify(argon2);
const pbkdf2Async = promisify(pbkdf2);

export const AEAD_ARGON2ID_AES_GCM = 0x00;
export const AEAD_ARGON2ID_CHACHA20_POLY1305 = 0x01;
export const AEAD_PBKDF2_AES_GCM = 0x02;

const SALT_BYTES = 32;
const STREAM_NONCE_BYTES = 8;
const HEADER_BYTES = SALT_BYTES + 1 + STREAM_NONCE_BYTES;
const FRAGMENT_BYTES = 1 << 14; // sio.BufSize
const TAG_BYTES = 16;
const FINAL_FLAG = 0x80;

type AeadId =
  | typeof AEAD_ARGON2ID_AES_GCM
  | typeof AEAD_ARGON2ID_CHACHA20_POLY1305
  | typeof AEAD_PBKDF2_AES_GCM;

export class MadminDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MadminDecryptionError';
  }
}

/** The 32-byte key for `id`. Argon2id runs off the main thread (libuv pool): it takes 64 MiB. */
async function deriveKey(id: AeadId, password: string, salt: Uint8Array): Promise<Buffer> {
  if (id === AEAD_PBKDF2_AES_GCM) return pbkdf2Async(password, salt, 8192, 32, 'sha256');
  return argon2Async('argon2id', {
    message: Buffer.from(password, 'utf8'),
    nonce: salt,
    passes: 1,
    memory: 64 * 1024, // KiB
    parallelism: 4,
    tagLength: 32,
  });
}

function cipher(id: AeadId, key: Buffer, nonce: Buffer) {
  const options = { authTagLength: TAG_BYTES };
  return id === AEAD_ARGON2ID_CHACHA20_POLY1305
    ? createCipheriv('chacha20-poly1305', key, nonce, options)
    : createCipheriv('aes-256-gcm', key, nonce, options);
}

function decipher(id: AeadId, key: Buffer, nonce: Buffer) {
  const options = { authTagLength: TAG_BYTES };
  return id === AEAD_ARGON2ID_CHACHA20_POLY1305
    ? createDecipheriv('chacha20-poly1305', key, nonce, options)
    : createDecipheriv('aes-256-gcm', key, nonce, options);
}

function fragmentNonce(streamNonce: Uint8Array, sequence: number): Buffer {
  const nonce = Buffer.alloc(STREAM_NONCE_BYTES + 4);
  nonce.set(streamNonce, 0);
  nonce.writeUInt32LE(sequence, STREAM_NONCE_BYTES);
  return nonce;
}

function seal(id: AeadId, key: Buffer, nonce: Buffer, plaintext: Uint8Array, ad: Uint8Array): Buffer {
  const sealer = cipher(id, key, nonce);
  sealer.setAAD(ad, { plaintextLength: plaintext.length });
  return Buffer.concat([sealer.update(plaintext), sealer.final(), sealer.getAuthTag()]);
}

function open(id: AeadId, key: Buffer, nonce: Buffer, sealed: Uint8Array, ad: Uint8Array): Buffer {
  if (sealed.length < TAG_BYTES) throw new MadminDecryptionError('madmin data is truncated');
  const opener = decipher(id, key, nonce);
  opener.setAAD(ad, { plaintextLength: sealed.length - TAG_BYTES });
  opener.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([opener.update(sealed.subarray(0, sealed.length - TAG_BYTES)), opener.final()]);
  } catch {
    // The message names no detail on purpose: it is what sio calls NotAuthentic.
    throw new MadminDecryptionError('madmin data is not authentic (wrong password or modified data)');
  }
}

/** Associated data of every fragment: flag byte, then the tag of sealing nothing at sequence 0. */
function streamAssociatedData(id: AeadId, key: Buffer, streamNonce: Uint8Array): Buffer {
  const ad = Buffer.alloc(1 + TAG_BYTES);
  seal(id, key, fragmentNonce(streamNonce, 0), Buffer.alloc(0), Buffer.alloc(0)).copy(ad, 1);
  return ad;
}

export interface EncryptOptions {
  /**
   * The key derivation: 'argon2id' (madmin's default: 64 MiB, and the server serialises its
   * argon2id work behind one lock) or 'pbkdf2' (what madmin uses in FIPS mode; every server
   * decrypts both). See the MinioAdmin option `bodyKdf` for when the cheaper one is as safe.
   */
  kdf?: 'argon2id' | 'pbkdf2';
  /** Fixed salt and nonce, for test vectors only: real messages take fresh random ones. */
  salt?: Uint8Array;
  nonce?: Uint8Array;
}

/** madmin.EncryptData(password, plaintext) with AES-256-GCM: id 0x00 (Argon2id) or 0x02 (PBKDF2). */
export async function encryptData(
  password: string,
  plaintext: Uint8Array,
  options: EncryptOptions = {},
): Promise<Buffer> {
  const id = options.kdf === 'pbkdf2' ? AEAD_PBKDF2_AES_GCM : AEAD_ARGON2ID_AES_GCM;
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const streamNonce = options.nonce ?? randomBytes(STREAM_NONCE_BYTES);
  if (salt.length !== SALT_BYTES || streamNonce.length !== STREAM_NONCE_BYTES)
    throw new RangeError('salt must be 32 bytes and nonce 8 bytes');
  const key = await deriveKey(id, password, salt);
  const ad = streamAssociatedData(id, key, streamNonce);
  const parts: Buffer[] = [Buffer.from(salt), Buffer.of(id), Buffer.from(streamNonce)];
  let offset = 0;
  let sequence = 1;
  // Full fragments while more than one fragment's worth remains; the rest is the final fragment.
  while (plaintext.length - offset > FRAGMENT_BYTES) {
    ad[0] = 0x00;
    parts.push(
      seal(
        id,
        key,
        fragmentNonce(streamNonce, sequence++),
        plaintext.subarray(offset, offset + FRAGMENT_BYTES),
        ad,
      ),
    );
    offset += FRAGMENT_BYTES;
  }
  ad[0] = FINAL_FLAG;
  parts.push(seal(id, key, fragmentNonce(streamNonce, sequence), plaintext.subarray(offset), ad));
  return Buffer.concat(parts);
}

/** madmin.DecryptData(password, data): any of the three AEAD ids; throws when not authentic. */
export async function decryptData(password: string, data: Uint8Array): Promise<Buffer> {
  if (data.length < HEADER_BYTES + TAG_BYTES) throw new MadminDecryptionError('madmin data is too short');
  const salt = data.subarray(0, SALT_BYTES);
  const id = data[SALT_BYTES];
  if (id !== AEAD_ARGON2ID_AES_GCM && id !== AEAD_ARGON2ID_CHACHA20_POLY1305 && id !== AEAD_PBKDF2_AES_GCM)
    throw new MadminDecryptionError(`madmin data has an unknown encryption algorithm id ${id}`);
  const streamNonce = data.subarray(SALT_BYTES + 1, HEADER_BYTES);
  const key = await deriveKey(id, password, salt);
  const ad = streamAssociatedData(id, key, streamNonce);
  const sealedFragment = FRAGMENT_BYTES + TAG_BYTES;
  const parts: Buffer[] = [];
  let offset = HEADER_BYTES;
  let sequence = 1;
  // Every fragment but the last is exactly full; whatever remains after them is the final one.
  while (data.length - offset > sealedFragment) {
    ad[0] = 0x00;
    parts.push(
      open(
        id,
        key,
        fragmentNonce(streamNonce, sequence++),
        data.subarray(offset, offset + sealedFragment),
        ad,
      ),
    );
    offset += sealedFragment;
  }
  ad[0] = FINAL_FLAG;
  parts.push(open(id, key, fragmentNonce(streamNonce, sequence), data.subarray(offset), ad));
  return Buffer.concat(parts);
}
