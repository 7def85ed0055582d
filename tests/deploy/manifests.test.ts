/**
 * What platform teams apply must be accepted by a real API server: the hand-written manifests of
 * k8s/dev and the umbrella chart go through a server-side dry run against the stack's
 * kube-apiserver (schema, defaulting and admission, without creating anything). Each chart with
 * each of its ci/ values files: charts.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { stackSetting } from '../setup/stack-env.ts';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');
const chartsDir = join(repoRoot, 'charts');
const namespace = 'parley';

const charts = readdirSync(chartsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(chartsDir, entry.name, 'Chart.yaml')))
  .map((entry) => entry.name);
const umbrella = 'parley';
// The application charts the umbrella installs (the library chart installs nothing of its own).
const serviceCharts = charts.filter(
  (name) =>
    name !== umbrella && !/^type:\s*library/m.test(readFileSync(join(chartsDir, name, 'Chart.yaml'), 'utf8')),
);

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(stackSetting('PARLEY_KUBECTL'), args, { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

async function helm(args: string[]): Promise<string> {
  return (await run(stackSetting('PARLEY_HELM'), args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

beforeAll(async () => {
  // The manifests name their namespace; a dry run needs it to exist.
  await kubectl(['apply', '-f', join(repoRoot, 'k8s/dev/00-namespace.yaml')]);
});

describe('the kind dev cluster manifests (k8s/dev)', () => {
  it('are accepted by the API server', async () => {
    const output = await kubectl(['apply', '--dry-run=server', '-f', join(repoRoot, 'k8s/dev')]);
    for (const kind of ['statefulset.apps/mongodb', 'deployment.apps/redis', 'statefulset.apps/kafka']) {
      expect(output).toContain(`${kind} created (server dry run)`);
    }
  });
});

describe('the umbrella chart', () => {
  it('names every service chart as a dependency, each a link to the sibling chart', async () => {
    const chartYaml = await helm(['show', 'chart', join(chartsDir, umbrella)]);
    for (const chart of serviceCharts) {
      expect(chartYaml).toContain(`repository: file://../${chart}`);
      // A clone installs it as it is: no `helm dependency build` between checkout and install.
      expect(realpathSync(join(chartsDir, umbrella, 'charts', chart))).toBe(
        realpathSync(join(chartsDir, chart)),
      );
    }
  });

  it('installs every service and the operator in one release the API server accepts', async () => {
    const path = join(chartsDir, umbrella);
    const rendered = await helm([
      'template',
      'parley',
      path,
      '--namespace',
      namespace,
      '--set',
      'global.imageRegistry=registry.example.com',
    ]);
    for (const chart of serviceCharts) {
      expect(rendered).toContain(`helm.sh/chart: ${chart}-`);
    }
    const output = await kubectl(
      ['apply', '--dry-run=server', '--namespace', namespace, '-f', '-'],
      rendered,
    );
    expect(output).toContain('(server dry run)');
  });
});
