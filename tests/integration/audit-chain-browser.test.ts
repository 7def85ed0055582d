/**
 * @parley/audit-chain/browser (Web Crypto) and the Node verifier give the same answer for the
 * same chain: one log built here with the Node side's hashing and Ed25519 signing, proof bundles
 * of it (sound, and tampered five ways), each verified by verifyProofBundle in Node, by the
 * browser module in Node, and by the browser module bundled by Vite and run in headless Chromium.
 * The three results must be deeply equal, check by check.
 */
import { join } from 'node:path';
import {
  type AuditRecord,
  generateSigningKeyPem,
  logName,
  PROOF_BUNDLE_FORMAT,
  type ProofBundle,
  signingKeyFromPem,
  toHex,
  verifyProofBundle,
} from '@parley/audit-chain';
import * as web from '@parley/audit-chain/browser';
import { buildSignedLog } from '@parley/audit-chain/testing';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { chromiumPath } from './web-stack.ts';

const key = signingKeyFromPem(generateSigningKeyPem());
const tenant = 'acme';
const SIZE = 13;

// Non-ASCII metadata: both runtimes must hash the same UTF-8 bytes.
const buildLog = () => buildSignedLog({ tenant, key, size: SIZE, note: 'Grüße ✓' });

function bundles(): Record<string, ProofBundle> {
  const { records, tree, checkpoint } = buildLog();
  const sound: ProofBundle = {
    format: PROOF_BUNDLE_FORMAT,
    tenant,
    log: logName(tenant),
    keys: [{ keyId: key.keyId, publicKey: key.publicKeyDer }],
    checkpoints: [checkpoint(5), checkpoint(8), checkpoint(SIZE)],
    inclusion: [0, 2, 7, SIZE - 1].map((i) => ({
      record: records[i] as AuditRecord,
      treeSize: SIZE,
      auditPath: tree.inclusionProof(i, SIZE).map(toHex),
    })),
    consistency: [
      { fromSize: 5, toSize: SIZE, proof: tree.consistencyProof(5, SIZE).map(toHex) },
      { fromSize: 8, toSize: SIZE, proof: tree.consistencyProof(8, SIZE).map(toHex) },
    ],
  };
  const copy = (): ProofBundle => structuredClone(sound);
  const edited = copy();
  (edited.inclusion[1]?.record as AuditRecord).outcome = 'failure';
  const badSignature = copy();
  const last = badSignature.checkpoints[2] as ProofBundle['checkpoints'][number];
  badSignature.checkpoints[2] = { ...last, rootHash: toHex(tree.root(SIZE - 1)) };
  const wrongPath = copy();
  wrongPath.inclusion[2]?.auditPath.reverse();
  const wrongConsistency = copy();
  wrongConsistency.consistency[0]?.proof.reverse();
  const otherTenant = copy();
  (otherTenant.inclusion[3]?.record as AuditRecord).tenant = 'globex';
  return { sound, edited, badSignature, wrongPath, wrongConsistency, otherTenant };
}

/** The browser module as one script, built by Vite the way the web client bundles it. */
async function browserScript(): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      lib: {
        entry: join(import.meta.dirname, '..', '..', 'packages', 'audit-chain', 'src', 'browser', 'index.ts'),
        name: 'AuditChainBrowser',
        formats: ['iife'],
      },
    },
  });
  const output = (Array.isArray(result) ? result[0] : result) as {
    output: { type: string; code?: string }[];
  };
  const chunk = output.output.find((o) => o.type === 'chunk');
  if (!chunk?.code) throw new Error('no bundle of @parley/audit-chain/browser');
  return chunk.code;
}

describe('the audit chain verifier in the browser', () => {
  it('answers every bundle exactly as the Node verifier does, in Node and in Chromium', async () => {
    const cases = bundles();
    const inNode = Object.fromEntries(
      await Promise.all(
        Object.entries(cases).map(async ([name, b]) => [name, await verifyProofBundle(b)] as const),
      ),
    );
    // The cases are what they claim: one sound, each tampered one refused.
    expect(Object.entries(inNode).map(([name, v]) => [name, v.ok])).toEqual(
      Object.keys(cases).map((name) => [name, name === 'sound']),
    );
    expect(inNode.edited?.checks.find((c) => !c.ok)?.what).toMatch(/^record 2 /);

    const webInNode: Record<string, unknown> = {};
    for (const [name, b] of Object.entries(cases)) webInNode[name] = await web.verifyProofBundle(b);
    expect(webInNode).toEqual(inNode);

    const script = await browserScript();
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      // localhost is a secure context, which Web Crypto needs; the page never reaches a server.
      await page.route('http://localhost/', (route) =>
        route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>verify</title>' }),
      );
      await page.goto('http://localhost/');
      await page.addScriptTag({ content: script });
      const inChromium = await page.evaluate(async (all) => {
        const lib = (globalThis as unknown as { AuditChainBrowser: typeof web }).AuditChainBrowser;
        const out: Record<string, unknown> = {};
        for (const [name, b] of Object.entries(all)) out[name] = await lib.verifyProofBundle(b);
        return out;
      }, cases);
      expect(inChromium).toEqual(inNode);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
