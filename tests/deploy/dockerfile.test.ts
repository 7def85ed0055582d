/**
 * The one Dockerfile, checked as far as a machine without a Docker engine can: the base image is
 * pinned by digest, the image runs as a numeric non-root user, every service's entrypoint and
 * everything it imports is in the build context while tests and test data are not, every
 * third-party package a service imports is a production dependency (the image installs with
 * --omit=dev), and patch-package comes from the lockfile. The build recipe itself is run by
 * image-build.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildContext,
  dockerfileInstructions,
  imageServices,
  importGraph,
  repoRoot,
  stages,
  workspaces,
} from './dockerfile.ts';

const instructions = dockerfileInstructions(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
const allStages = stages(instructions);
const finalStage = allStages.at(-1);
const context = buildContext();

function globalArg(name: string): string | undefined {
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') break;
    const match = instruction.args.match(new RegExp(`^${name}=(\\S+)$`));
    if (instruction.keyword === 'ARG' && match) return match[1];
  }
  return undefined;
}

describe('the Dockerfile', () => {
  it('builds every stage from one Node 24 base image pinned by digest', () => {
    expect(allStages.length).toBeGreaterThan(1);
    for (const stage of allStages) {
      expect(stage.from, `stage ${stage.name ?? '(final)'}`).toBe(`\${NODE_IMAGE}`);
    }
    expect(globalArg('NODE_IMAGE')).toMatch(/^node:24[-.][\w.-]*@sha256:[a-f0-9]{64}$/);
  });

  it('runs as a numeric, non-root user with the service entrypoint in its working directory', () => {
    const users = finalStage?.body.filter((i) => i.keyword === 'USER') ?? [];
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)?.args ?? '';
    // Numeric, so the kubelet can check runAsNonRoot without reading /etc/passwd.
    expect(user).toMatch(/^[0-9]+(:[0-9]+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const workdir = finalStage?.body.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args;
    expect(workdir).toBe('/app/service');
    const cmd = finalStage?.body.find((i) => i.keyword === 'CMD')?.args;
    expect(cmd && JSON.parse(cmd)).toEqual(['node', 'src/main.ts']);
  });

  it('fetches nothing by name at build time: patch-package comes from the lockfile', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    for (const run of runs) {
      expect(run).not.toMatch(/\bnpx\b|\bnpm (install|i|add)\b|\bcurl\b|\bwget\b/);
    }
    expect(runs.join('\n')).toMatch(/patch-package\/index\.js --error-on-fail/);
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    expect(lock.packages['node_modules/patch-package']?.version).toBeDefined();
    for (const patch of ['patches/kafkajs+2.2.4.patch', 'patches/@pinojs+redact+0.4.0.patch']) {
      expect(context.has(patch), patch).toBe(true);
    }
  });

  it('copies only paths the build context holds', () => {
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const path = source.replace(/\/$/, '');
      const present = [...context].some((file) => file === path || file.startsWith(`${path}/`));
      expect(present, `COPY ${source}`).toBe(true);
    }
  });

  it("holds every workspace's manifest, which npm ci checks against the lockfile", () => {
    for (const workspace of workspaces().values()) {
      expect(context.has(`${workspace.dir}/package.json`), workspace.dir).toBe(true);
    }
    expect(context.has('package-lock.json')).toBe(true);
  });

  it('leaves tests, test data and local state out of the build context', () => {
    const leaked = [...context].filter((file) =>
      /(^|\/)(node_modules|\.parley|dist|test|tests\/(?!package\.json$)|testing|test-vectors)\/|\.test\.ts$|\.fixture\.ts$/.test(
        file,
      ),
    );
    expect(leaked).toEqual([]);
    // The rules do reach real files (a check that matched nothing would pass on any context).
    expect(context.has('services/auth/src/main.ts')).toBe(true);
    expect(context.has('packages/kit/src/index.ts')).toBe(true);
  });
});

describe.each(imageServices())('the image for SERVICE=$service', ({ dir }) => {
  const graph = importGraph(`${dir}/src/main.ts`);

  it('has its entrypoint and everything it imports in the build context', () => {
    expect(graph.files.size).toBeGreaterThan(5);
    const missing = [...graph.files].filter((file) => !context.has(file));
    expect(missing).toEqual([]);
  });

  it('imports only packages that are production dependencies of the importing workspace', () => {
    const all = workspaces();
    const undeclared = graph.packages.filter(({ name, workspace }) => {
      if (name === workspace) return false;
      return all.get(workspace)?.manifest.dependencies?.[name] === undefined;
    });
    expect(undeclared.map((p) => `${p.from} imports ${p.name}`)).toEqual([]);
  });
});
