/**
 * Loads the audit signing key from its file (a mounted Secret), or for local runs creates it on
 * first start. Creation uses an exclusive open, so two local processes starting at once end up
 * with one key rather than each overwriting the other's.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateSigningKeyPem, keyIdOf, type SigningKey, signingKeyFromPem } from '@parley/audit-chain';
import { resolveMasterKeyPath } from '@parley/keyring';

export async function loadSigningKey(configured: string, createIfMissing: boolean): Promise<SigningKey> {
  // Relative paths resolve from the workspace root, as the master keys' do (npm start runs each
  // service in its own directory; every local process must find the same file).
  const path = resolveMasterKeyPath(configured);
  try {
    return signingKeyFromPem(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !createIfMissing) {
      throw new Error(`cannot load the audit signing key from ${path}: ${(error as Error).message}`);
    }
  }
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, generateSigningKeyPem(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return signingKeyFromPem(await readFile(path, 'utf8'));
}

/**
 * The public halves of earlier signing keys, from one file of PEM blocks (SPKI public keys, or
 * retired private keys whose public half is taken). Without them a rotated key would turn every
 * older checkpoint into `unknown-key` and block signing over the published ones.
 */
export async function loadPreviousPublicKeys(
  configured: string,
): Promise<{ keyId: string; publicKey: KeyObject }[]> {
  if (!configured) return [];
  const path = resolveMasterKeyPath(configured);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the previous audit signing keys from ${path}: ${(error as Error).message}`);
  }
  const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
  return blocks.map((block, i) => {
    const publicKey = createPublicKey(block);
    if (publicKey.asymmetricKeyType !== 'ed25519') {
      throw new Error(`previous audit signing key #${i + 1} in ${path} is not Ed25519`);
    }
    return { keyId: keyIdOf(publicKey), publicKey };
  });
}
