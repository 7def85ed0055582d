// The offline verifier as a user runs it: a separate node process, a bundle file, an exit code.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { logName, signCheckpoint } from './checkpoint/checkpoint.ts';
import { generateSigningKeyPem, signingKeyFromPem } from './checkpoint/signing-key.ts';
import { toHex } from './merkle/hashing.ts';
import { signReceipt } from './receipt/export-receipt.ts';
import type { AuditRecord } from './record/audit-record.ts';
import { buildSignedLog } from './testing/signed-log.ts';
import { PROOF_BUNDLE_FORMAT, type ProofBundle } from './verify/proof-bundle.ts';

const run = promisify(execFile);
const cli = new URL('./verify-cli.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = signingKeyFromPem(generateSigningKeyPem());
const tenant = 'acme';

/** A log of `size` records; records from `rewriteFrom` on differ (a history rewritten there). */
const buildLog = (size = 12, rewriteFrom?: number) =>
  buildSignedLog({ tenant, key, size, ...(rewriteFrom === undefined ? {} : { rewriteFrom }) });

/** A bundle as the service serves it: two checkpoints, two inclusion proofs, consistency, records. */
function buildBundle(options: { size?: number; since?: number; rewriteFrom?: number } = {}): ProofBundle {
  const size = options.size ?? 12;
  const since = options.since ?? 5;
  const { records, tree, checkpoint } = buildLog(size, options.rewriteFrom);
  return {
    format: PROOF_BUNDLE_FORMAT,
    tenant,
    log: logName(tenant),
    keys: [{ keyId: key.keyId, publicKey: key.publicKeyDer }],
    checkpoints: [checkpoint(since), checkpoint(size)],
    inclusion: [2, size - 3].map((i) => ({
      record: records[i] as AuditRecord,
      treeSize: size,
      auditPath: tree.inclusionProof(i, size).map(toHex),
    })),
    consistency: [{ fromSize: since, toSize: size, proof: tree.consistencyProof(since, size).map(toHex) }],
    records,
  };
}

async function verify(bundle: unknown, ...args: string[]): Promise<{ code: number; stdout: string }> {
  const file = join(dir, `${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(bundle));
  try {
    const { stdout } = await run(process.execPath, [cli, file, ...args]);
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('verify-cli', () => {
  it('verifies signatures, inclusion, consistency and the full chain with a trusted key', async () => {
    const pem = join(dir, 'trusted.pem');
    writeFileSync(pem, key.publicKeyPem);
    const { code, stdout } = await verify(buildBundle(), '--key', pem);
    expect(stdout).toContain('VERIFIED: 6/6 checks hold');
    expect(stdout).toContain('ok    record 9');
    expect(stdout).toContain('ok    consistency 5 -> 12');
    expect(stdout).toContain('ok    full chain of 12 records');
    expect(code).toBe(0);
  });

  it('fails on an altered record, a forged root or a key it does not trust', async () => {
    const altered = buildBundle();
    (altered.inclusion[0]?.record as AuditRecord).outcome = 'failure';
    const a = await verify(altered);
    expect(a.code).toBe(1);
    expect(a.stdout).toContain('FAIL  record 2');

    const forged = buildBundle();
    (forged.checkpoints[1] as { rootHash: string }).rootHash = 'a'.repeat(64);
    expect((await verify(forged)).code).toBe(1);

    const dropped = buildBundle();
    dropped.records?.splice(4, 1);
    const d = await verify(dropped, '--json');
    expect(d.code).toBe(1);
    expect(JSON.parse(d.stdout).checks.at(-1).detail).toMatch(/missing/);

    const stranger = signingKeyFromPem(generateSigningKeyPem());
    expect((await verify(buildBundle(), '--key', stranger.publicKeyDer)).code).toBe(1);
  });

  it('deleting the tail and its checkpoints is detected against a published checkpoint', async () => {
    const pem = join(dir, 'pin-trusted.pem');
    writeFileSync(pem, key.publicKeyPem);
    // The tenant kept the checkpoint of size 12 that Parley published.
    const saved = join(dir, 'saved-checkpoint.json');
    writeFileSync(saved, JSON.stringify(buildLog(12).checkpoint(12)));

    // Someone with the database cut the log back to 8 and signed over it: on its own it verifies.
    const cut = buildBundle({ size: 8 });
    expect((await verify(cut, '--key', pem)).code).toBe(0);
    const c = await verify(cut, '--key', pem, '--pin', saved);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/FAIL {2}pinned checkpoint size 12 .*tail was removed/);
    const withoutRecords = { ...cut, records: undefined };
    expect((await verify(withoutRecords, '--key', pem, '--pin', saved)).stdout).toMatch(
      /FAIL {2}pinned checkpoint size 12 .*cut back/,
    );

    // ...or cut it back and appended a different history past the saved size.
    const rewritten = buildBundle({ size: 16, rewriteFrom: 8 });
    expect((await verify(rewritten, '--key', pem)).code).toBe(0);
    const r = await verify(rewritten, '--key', pem, '--pin', saved);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}pinned checkpoint size 12 .*rewritten/);

    // The honest log that grew since still extends the saved checkpoint, by proof alone.
    const grown = { ...buildBundle({ size: 16, since: 12 }), records: undefined };
    const g = await verify(grown, '--key', pem, '--pin', saved);
    expect(g.stdout).toContain('ok    pinned checkpoint size 12');
    expect(g.code).toBe(0);
    // A pin signed by a key the verifier does not trust is no evidence either way.
    const stranger = signingKeyFromPem(generateSigningKeyPem());
    const forgedPin = join(dir, 'forged-pin.json');
    writeFileSync(
      forgedPin,
      JSON.stringify(
        signCheckpoint({ ...buildLog(12).checkpoint(12), keyId: stranger.keyId }, stranger.privateKey),
      ),
    );
    expect((await verify(grown, '--key', pem, '--pin', forgedPin)).code).toBe(1);
  });

  it('checks a GDPR export receipt and the files unpacked beside it', async () => {
    const exportDir = mkdtempSync(join(dir, 'export-'));
    const content = Buffer.from('{"email":"nia@example.com"}');
    writeFileSync(join(exportDir, 'auth.json'), content);
    const receipt = signReceipt(
      {
        tenant,
        jobId: randomUUID(),
        userId: 'u-nia',
        completedAt: '2026-11-28T10:00:00.000Z',
        files: [
          {
            name: 'auth.json',
            sha256: createHash('sha256').update(content).digest('hex'),
            bytes: content.length,
          },
        ],
      },
      key,
    );
    const receiptPath = join(exportDir, 'receipt.json');
    writeFileSync(receiptPath, JSON.stringify(receipt));
    const pem = join(dir, 'receipt-key.pem');
    writeFileSync(pem, key.publicKeyPem);
    const good = await run(process.execPath, [cli, receiptPath, '--key', pem]);
    expect(good.stdout).toContain('VERIFIED: 2/2 checks hold');
    writeFileSync(join(exportDir, 'auth.json'), '{"email":"someone-else@example.com"}');
    await expect(run(process.execPath, [cli, receiptPath, '--key', pem])).rejects.toMatchObject({ code: 1 });
    await expect(run(process.execPath, [cli, receiptPath])).rejects.toMatchObject({ code: 2 });
  });

  it('answers 2 when the input cannot be read', async () => {
    await expect(run(process.execPath, [cli, join(dir, 'absent.json')])).rejects.toMatchObject({ code: 2 });
  });
});
