/**
 * The README's install steps make every Secret the charts require, and the charts require no
 * other: in an empty namespace, `helm install --dry-run=server` of the umbrella (with the optional
 * Secrets switched on: the SMTP login, the previous audit signing keys) fails naming one missing
 * Secret at a time; each named is made and the install tried again, until it passes. The names
 * collected are what the charts check, and they must be exactly the README's
 * `kubectl -n parley create secret generic <name>` lines (the optional ones as comments), each
 * with how to make its keys. The charts' own check (parley-common.requireSecrets) is what a
 * platform team meets on a missing one.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartsDir, helm, kubectl, repoRoot } from './helm.ts';
import { releaseSecrets } from './release-secrets.ts';

const suffix = randomBytes(3).toString('hex');
const namespace = `parley-secrets-${suffix}`;
const release = `s${suffix}`;
const optional = {
  'parley-smtp-credentials': 'notifier.smtp.credentialsSecret=parley-smtp-credentials',
  'parley-audit-previous-keys':
    'compliance.auditSigningKey.previousKeys.existingSecret=parley-audit-previous-keys',
};
const values = [
  '--set',
  'global.imageRegistry=registry.example.com',
  ...Object.values(optional).flatMap((v) => ['--set', v]),
];

/** The README's "Deploying with Helm" section: each Secret it makes, and the keys it gives. */
function readmeSecrets(): Map<string, { optional: boolean; command: string }> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Deploying with Helm'), readme.indexOf('## Configuration'));
  // A command goes on over lines ending in a backslash.
  const lines = section.replace(/\\\n\s*/g, ' ').split('\n');
  const secrets = new Map<string, { optional: boolean; command: string }>();
  for (const line of lines) {
    const match = line.match(/^(#\s*)?kubectl -n parley create secret generic (\S+) (.*)$/);
    if (match?.[2]) secrets.set(match[2], { optional: match[1] !== undefined, command: match[3] ?? '' });
  }
  return secrets;
}

beforeAll(async () => {
  await kubectl(['create', 'namespace', namespace]);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => '');
}, 60_000);

describe("the README's Secrets", () => {
  it('are exactly the ones the charts refuse to install without, each with how to make its keys', {
    timeout: 300_000,
  }, async () => {
    const required: string[] = [];
    for (;;) {
      const failure = await helm([
        'install',
        release,
        join(chartsDir, 'parley'),
        '-n',
        namespace,
        '--dry-run=server',
        ...values,
      ])
        .then(() => undefined)
        .catch((error: Error) => error.message);
      if (failure === undefined) break;
      const name = failure.match(/the Secret "([^"]+)" is missing in namespace/)?.[1];
      expect(name, failure).toBeDefined();
      // The check names each once: a second time would mean the Secret made did not count.
      expect(required).not.toContain(name);
      required.push(name as string);
      const args = ['create', 'secret', 'generic', name as string, '-n', namespace];
      for (const [key, value] of Object.entries(releaseSecrets[name as string] ?? { key: 'value' }))
        args.push(`--from-literal=${key}=${value}`);
      await kubectl(args);
    }
    const readme = readmeSecrets();
    expect([...readme.keys()].sort()).toEqual([...required].sort());
    // The optional ones are comments (made only with their value set), the rest are steps.
    for (const [name, { optional: commented }] of readme)
      expect(commented, name).toBe(Object.hasOwn(optional, name));
    // The deploy tests make the same required ones (release-secrets.ts), with the same keys.
    expect(Object.keys(releaseSecrets).sort()).toEqual(
      required.filter((name) => !Object.hasOwn(optional, name)).sort(),
    );
    for (const [name, keys] of Object.entries(releaseSecrets)) {
      const command = readme.get(name)?.command ?? '';
      for (const key of Object.keys(keys).filter((k) => !k.endsWith('.key')))
        expect(command, `${name} ${key}`).toMatch(
          new RegExp(`--from-(literal|file)=${key.replace('.', '\\.')}\\b`),
        );
    }
    // The master keys: one file per key, 32 random bytes in base64, made right there.
    expect(readme.get('parley-master-keys')?.command).toContain('"$(head -c 32 /dev/urandom | base64)"');
  });
});
