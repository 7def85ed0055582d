/**
 * `npm test` fails when tsconfig project references drift from the package.json workspace
 * dependencies (the rule is in tsconfig-references.ts). The checker is also run on made-up
 * repositories, so each kind of drift is shown to be caught, not only the absence of drift here.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { referenceDrift } from './tsconfig-references.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

describe('tsconfig project references', () => {
  it('match every workspace package.json in this repository', async () => {
    expect(await referenceDrift(repoRoot)).toEqual([]);
  });
});

describe('the reference checker on made-up repositories', () => {
  const roots: string[] = [];
  afterEach(async () => {
    for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
  });

  /** Writes files (path -> JSON value) into a fresh folder. */
  async function repo(files: Record<string, unknown>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'parley-refs-'));
    roots.push(root);
    for (const [path, value] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), typeof value === 'string' ? value : JSON.stringify(value));
    }
    return root;
  }

  const pkg = (name: string, dependencies: Record<string, string> = {}) => ({ name, dependencies });
  const refs = (...paths: string[]) => ({ references: paths.map((path) => ({ path })) });
  const base = {
    'package.json': { workspaces: ['packages/*', 'app'] },
    'packages/a/package.json': pkg('@x/a'),
    'packages/a/tsconfig.json': refs(),
    'packages/b/package.json': pkg('@x/b', { '@x/a': '1.0.0', left: '1.0.0' }),
    'packages/b/tsconfig.json': refs('../a'),
    'app/package.json': pkg('@x/app', { '@x/b': '1.0.0' }),
    'app/tsconfig.json': refs('../packages/b'),
    'tsconfig.json': refs('packages/a', 'packages/b', 'app'),
  };

  it('accepts references that match, ignoring dependencies that are no workspace', async () => {
    expect(await referenceDrift(await repo(base))).toEqual([]);
  });

  it('names a reference missing for a workspace dependency', async () => {
    const root = await repo({ ...base, 'packages/b/tsconfig.json': refs() });
    expect(await referenceDrift(root)).toEqual([
      'packages/b/tsconfig.json: missing a reference to packages/a (package.json depends on @x/a)',
    ]);
  });

  it('names a reference that package.json does not declare, and one to nothing', async () => {
    const root = await repo({
      ...base,
      'app/tsconfig.json': refs('../packages/b', '../packages/a', '../gone'),
    });
    expect(await referenceDrift(root)).toEqual([
      'app/tsconfig.json: references packages/a, but app/package.json does not depend on @x/a',
      'app/tsconfig.json: references gone, which has no tsconfig.json',
    ]);
  });

  it('reads tsconfig files with comments and trailing commas', async () => {
    const root = await repo({
      ...base,
      'packages/b/tsconfig.json': '{\n  // built after a\n  "references": [{ "path": "../a" },],\n}\n',
    });
    expect(await referenceDrift(root)).toEqual([]);
  });

  it("holds a nested test project to its workspace's dependencies, and lets dependents reference it", async () => {
    const nested = {
      ...base,
      'packages/b/test/tsconfig.json': refs('..', '../../a'),
      'app/tsconfig.json': refs('../packages/b', '../packages/b/test'),
      'tsconfig.json': refs('packages/a', 'packages/b', 'packages/b/test', 'app'),
    };
    expect(await referenceDrift(await repo(nested))).toEqual([]);
    const drifted = await repo({
      ...nested,
      'packages/b/test/tsconfig.json': refs('../../a'),
      'packages/a/tsconfig.json': refs('../b/test'),
    });
    expect(await referenceDrift(drifted)).toEqual([
      'packages/a/tsconfig.json: references packages/b/test, but packages/a/package.json does not depend on @x/b',
      "packages/b/test/tsconfig.json: missing a reference to packages/b (it is @x/b's own code)",
    ]);
  });

  it('names a project the root solution does not build, and a root reference to no project', async () => {
    const root = await repo({ ...base, 'tsconfig.json': refs('packages/a', 'app', 'elsewhere') });
    expect(await referenceDrift(root)).toEqual([
      'tsconfig.json: missing a reference to packages/b (every project is built by tsc -b)',
      'tsconfig.json: references elsewhere, which is no workspace project',
    ]);
  });

  it('names a workspace without a tsconfig.json', async () => {
    const { 'app/tsconfig.json': _, ...files } = base;
    const root = await repo({ ...files, 'tsconfig.json': refs('packages/a', 'packages/b') });
    expect(await referenceDrift(root)).toEqual(['app: has no tsconfig.json']);
  });
});
