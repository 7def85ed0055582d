#!/usr/bin/env node
/**
 * The offline verifier: checks a proof bundle (GET /v1/audit/proofs, format parley-audit-proofs/v1)
 * with no server and no database: checkpoint signatures (Ed25519), inclusion proofs of records
 * (their content re-hashed), consistency proofs between checkpoints, and, when the bundle
 * carries the whole log, every hash and link of the chain. Given a GDPR export's receipt.json
 * (unzipped with its files), it checks the receipt's signature and every file's SHA-256.
 *
 *   node packages/audit-chain/src/verify-cli.ts proofs.json [--key trusted.pem] [--pin saved.json] [--json]
 *
 * --key (repeatable) names the public keys you trust (PEM or base64 SPKI, as a file or inline);
 * without it the keys inside the bundle are used and the verdict says so.
 * --pin (repeatable) names a checkpoint you saved earlier (a file with one signed checkpoint, a
 * list of them, or {checkpoints: [...]} as the API serves them): the bundle must prove that the
 * log extends it, so a log cut back or rewritten since fails even if it verifies on its own.
 * Exit code: 0 all checks hold, 1 a check failed, 2 the input could not be read.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePublicKey, type SignedCheckpoint } from './checkpoint/checkpoint.ts';
import { keyIdOf } from './checkpoint/signing-key.ts';
import { EXPORT_RECEIPT_FORMAT, type ExportReceipt, verifyReceipt } from './receipt/export-receipt.ts';
import { verifyChain } from './verify/chain-verifier.ts';
import {
  type BundleCheck,
  type BundleVerification,
  type ProofBundle,
  verifyProofBundle,
} from './verify/proof-bundle.ts';

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const file = positionals[0];
  if (!file || values.help) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  let bundle: ProofBundle;
  let trusted: Map<string, ReturnType<typeof parsePublicKey>> | undefined;
  const pinned: SignedCheckpoint[] = [];
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8')) as ProofBundle;
    for (const pinFile of values.pin ?? []) pinned.push(...readCheckpoints(pinFile));
    if (values.key && values.key.length > 0) {
      trusted = new Map();
      for (const text of values.key) {
        const key = parsePublicKey(existsSync(text) ? readFileSync(text, 'utf8') : text);
        trusted.set(keyIdOf(key), key);
      }
    }
  } catch (error) {
    process.stderr.write(`cannot read input: ${(error as Error).message}\n`);
    return 2;
  }

  if ((bundle as unknown as { format?: string }).format === EXPORT_RECEIPT_FORMAT) {
    return verifyReceiptFile(file, bundle as unknown as ExportReceipt, trusted, Boolean(values.json));
  }

  let result: BundleVerification;
  try {
    result = await verifyProofBundle(bundle, trusted, pinned);
  } catch (error) {
    process.stderr.write(`malformed bundle: ${(error as Error).message}\n`);
    return 2;
  }
  const checks: BundleCheck[] = [...result.checks];
  if (Array.isArray(bundle.records)) {
    const keys = trusted ?? new Map(bundle.keys.map((k) => [k.keyId, parsePublicKey(k.publicKey)]));
    const chain = await verifyChain({
      tenant: bundle.tenant,
      records: bundle.records,
      checkpoints: bundle.checkpoints,
      publicKeys: keys,
    });
    checks.push({
      what: `full chain of ${chain.records} records`,
      ok: chain.ok,
      detail: chain.ok
        ? `root ${chain.rootHash}, ${chain.checkpointsVerified} checkpoints matched`
        : chain.problems.map((p) => `${p.kind}: ${p.detail}`).join('; '),
    });
  }
  const ok = checks.length > 0 && checks.every((c) => c.ok);

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ ok, trustedBundleKeys: result.trustedBundleKeys, checks }, null, 2)}\n`,
    );
  } else {
    for (const check of checks) {
      process.stdout.write(
        `${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}${check.detail ? ` — ${check.detail}` : ''}\n`,
      );
    }
    if (result.trustedBundleKeys) {
      process.stdout.write(
        'note  keys were taken from the bundle itself; pass --key with a key you obtained independently\n',
      );
    }
    process.stdout.write(
      `${ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${checks.filter((c) => c.ok).length}/${checks.length} checks hold\n`,
    );
  }
  return ok ? 0 : 1;
}

const USAGE =
  'usage: node packages/audit-chain/src/verify-cli.ts <proofs.json | receipt.json> [--key <pem-file|base64>]... [--pin <checkpoint.json>]... [--json]\n' +
  '  proofs.json: a proof bundle (GET /v1/tenants/:t/audit/proofs)\n' +
  '  receipt.json: a GDPR export receipt, checked with the files unpacked beside it (--key required)\n';

/** A GDPR export receipt: its signature, and each listed file (next to it) by SHA-256 and size. */
function verifyReceiptFile(
  file: string,
  receipt: ExportReceipt,
  trusted: Map<string, ReturnType<typeof parsePublicKey>> | undefined,
  json: boolean,
): number {
  if (!trusted) {
    process.stderr.write('a receipt carries no key: pass --key with the compliance signing key\n');
    return 2;
  }
  const checks: BundleCheck[] = [];
  const key = trusted.get(receipt.keyId);
  checks.push(
    key
      ? {
          what: `receipt of export ${receipt.jobId}`,
          ok: verifyReceipt(receipt, key),
          detail: 'Ed25519 signature',
        }
      : {
          what: `receipt of export ${receipt.jobId}`,
          ok: false,
          detail: `signed by untrusted key ${receipt.keyId}`,
        },
  );
  for (const listed of receipt.files) {
    const path = join(dirname(file), basename(listed.name));
    if (!existsSync(path)) {
      checks.push({ what: listed.name, ok: false, detail: 'listed in the receipt but not found beside it' });
      continue;
    }
    const content = readFileSync(path);
    const sha256 = createHash('sha256').update(content).digest('hex');
    checks.push({
      what: listed.name,
      ok: sha256 === listed.sha256 && content.length === listed.bytes,
      detail:
        sha256 === listed.sha256 ? `sha256 ${sha256}` : `sha256 ${sha256}, the receipt says ${listed.sha256}`,
    });
  }
  const ok = checks.every((c) => c.ok);
  if (json) process.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
  else {
    for (const check of checks) {
      process.stdout.write(
        `${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}${check.detail ? ` — ${check.detail}` : ''}\n`,
      );
    }
    process.stdout.write(
      `${ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${checks.filter((c) => c.ok).length}/${checks.length} checks hold\n`,
    );
  }
  return ok ? 0 : 1;
}

/** One signed checkpoint, a list of them, or {checkpoints: [...]}, from a file. */
function readCheckpoints(path: string): SignedCheckpoint[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const list = Array.isArray(parsed)
    ? parsed
    : Array.isArray((parsed as { checkpoints?: unknown }).checkpoints)
      ? (parsed as { checkpoints: unknown[] }).checkpoints
      : [parsed];
  for (const item of list) {
    const c = item as Partial<SignedCheckpoint>;
    if (typeof c?.treeSize !== 'number' || typeof c.rootHash !== 'string' || typeof c.signature !== 'string')
      throw new Error(`${path} holds something that is not a signed checkpoint`);
  }
  return list as SignedCheckpoint[];
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      key: { type: 'string', multiple: true },
      pin: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

process.exitCode = await main(process.argv.slice(2));
