/**
 * `npm test` fails when a TypeScript project stops extending tsconfig.base.json or loosens one of
 * its strict settings (the rule is in tsconfig-base.ts). The checker also runs on made-up
 * repositories, so each way of drifting is shown to be caught, not only its absence here.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseConfigDrift } from './tsconfig-base.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

describe('every project on the base tsconfig', () => {
  it('extends tsconfig.base.json with its strict settings, in this repository', async () => {
    expect(await baseConfigDrift(repoRoot)).toEqual([]);
  });
});

describe('the base-config checker on made-up repositories', () => {
  const roots: string[] = [];
  afterEach(async () => {
    for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
  });

  async function repo(files: Record<string, unknown>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'parley-base-'));
    roots.push(root);
    for (const [path, value] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), typeof value === 'string' ? value : JSON.stringify(value));
    }
    return root;
  }

  const strict = {
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    verbatimModuleSyntax: true,
    erasableSyntaxOnly: true,
    isolatedModules: true,
  };
  const project = (
    compilerOptions: Record<string, unknown> = {},
    extendsPath = '../../tsconfig.base.json',
  ) => ({
    extends: extendsPath,
    compilerOptions: { rootDir: 'src', ...compilerOptions },
    include: ['src'],
  });
  const base = {
    'tsconfig.base.json': { compilerOptions: strict },
    'tsconfig.json': { files: [], references: [{ path: 'packages/a' }, { path: 'packages/b' }] },
    'packages/a/tsconfig.json': project(),
    'packages/b/tsconfig.json': '{\n  // comments are allowed\n  "extends": "../../tsconfig.base.json",\n}\n',
  };

  it('accepts projects that extend the base, directly or through another config', async () => {
    expect(await baseConfigDrift(await repo(base))).toEqual([]);
    const chained = {
      ...base,
      'packages/shared.json': {
        extends: '../tsconfig.base.json',
        compilerOptions: { lib: ['ES2024', 'DOM'] },
      },
      'packages/b/tsconfig.json': project({}, '../shared.json'),
    };
    expect(await baseConfigDrift(await repo(chained))).toEqual([]);
  });

  it('names a project that does not extend the base', async () => {
    const root = await repo({ ...base, 'packages/b/tsconfig.json': { compilerOptions: strict } });
    expect(await baseConfigDrift(root)).toEqual([
      'packages/b/tsconfig.json: does not extend tsconfig.base.json',
    ]);
  });

  it('names a strict setting a project changes, and a strict flag turned off', async () => {
    const root = await repo({
      ...base,
      'packages/a/tsconfig.json': project({ noUncheckedIndexedAccess: false, strictNullChecks: false }),
    });
    expect(await baseConfigDrift(root)).toEqual([
      'packages/a/tsconfig.json: noUncheckedIndexedAccess is false, the base says true',
      'packages/a/tsconfig.json: turns strictNullChecks off (strict turns it on)',
    ]);
  });

  it('names a base that is not strict itself', async () => {
    const { strict: _, ...loose } = strict;
    const root = await repo({ ...base, 'tsconfig.base.json': { compilerOptions: loose } });
    expect(await baseConfigDrift(root)).toEqual(
      expect.arrayContaining(['tsconfig.base.json: strict is not true']),
    );
  });
});
