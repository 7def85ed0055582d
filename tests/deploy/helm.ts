/** The stack's helm and kubectl, and the charts of the repository, for the deploy tests. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { stackSetting } from '../setup/stack-env.ts';

const run = promisify(execFile);
export const repoRoot = resolve(import.meta.dirname, '../..');
export const chartsDir = join(repoRoot, 'charts');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export async function helm(args: string[]): Promise<string> {
  return (await run(stackSetting('PARLEY_HELM'), args, { maxBuffer: 32 * 1024 * 1024 })).stdout;
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(stackSetting('PARLEY_KUBECTL'), args, { maxBuffer: 32 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

/** Application charts (the library has nothing to install), the umbrella included. */
export function applicationCharts(): string[] {
  return readdirSync(chartsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(chartsDir, entry.name, 'Chart.yaml')))
    .map((entry) => entry.name)
    .filter(
      (name) => !/^type:\s*library\s*$/m.test(readFileSync(join(chartsDir, name, 'Chart.yaml'), 'utf8')),
    );
}

export function ciValuesFiles(chart: string): string[] {
  const dir = join(chartsDir, chart, 'ci');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => join(dir, file));
}

export function appVersion(chart: string): string {
  const match = readFileSync(join(chartsDir, chart, 'Chart.yaml'), 'utf8').match(
    /^appVersion:\s*"?([^"\n]+)"?$/m,
  );
  if (!match?.[1]) throw new Error(`${chart}: no appVersion`);
  return match[1];
}

/** `helm template` of a chart, parsed. */
export async function render(
  chart: string,
  options: { release?: string; namespace?: string; values?: string[]; set?: string[] } = {},
): Promise<Manifest[]> {
  const args = ['template', options.release ?? `parley-${chart}`, join(chartsDir, chart)];
  args.push('--namespace', options.namespace ?? 'parley');
  for (const file of options.values ?? []) args.push('-f', file);
  for (const value of options.set ?? []) args.push('--set', value);
  // YAML 1.1, as Kubernetes reads it (0440 is octal there, 440 in YAML 1.2).
  return parseAllDocuments(await helm(args), { version: '1.1' })
    .map((document) => document.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/**
 * A service's workload: a Deployment, or a StatefulSet when its pods keep a volume of their own
 * (the gateway's audit journal).
 */
export function isWorkload(manifest: Manifest): boolean {
  return manifest.kind === 'Deployment' || manifest.kind === 'StatefulSet';
}

/** The pod template's containers of a rendered Deployment or StatefulSet. */
export function containers(deployment: Manifest): {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}[] {
  return (deployment.spec as { template: { spec: { containers: ReturnType<typeof containers> } } }).template
    .spec.containers;
}
