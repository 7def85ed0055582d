/**
 * What the charts let reach a service, and with which credentials it starts: rendered with the
 * stack's helm, read back as JSON through the stack's kubectl (client-side, nothing applied).
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stackSetting } from '../setup/stack-env.ts';

const run = promisify(execFile);
const chartsDir = join(resolve(import.meta.dirname, '../..'), 'charts');

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, never>;
}

async function render(chart: string, set: string[] = []): Promise<Manifest[]> {
  const args = ['template', `parley-${chart}`, join(chartsDir, chart), '--namespace', 'parley'];
  for (const value of set) args.push('--set', value);
  const yaml = (await run(stackSetting('PARLEY_HELM'), args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const child = run(stackSetting('PARLEY_KUBECTL'), ['create', '--dry-run=client', '-o', 'json', '-f', '-'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  child.child.stdin?.end(yaml);
  // One pretty-printed object per manifest, each closing with a `}` at the start of a line.
  return (await child).stdout.split(/(?<=^\})\n(?=\{)/m).map((text) => JSON.parse(text) as Manifest);
}

describe('chart auth: network exposure', () => {
  it("auth's NetworkPolicy admits only Parley's own pods, on its one port", async () => {
    const manifests = await render('auth');
    const policy = manifests.find((m) => m.kind === 'NetworkPolicy');
    expect(policy, 'a NetworkPolicy').toBeDefined();
    const deployment = manifests.find((m) => m.kind === 'Deployment') as Manifest;
    const spec = policy?.spec as unknown as {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress: {
        from: { podSelector?: { matchLabels: Record<string, string> } }[];
        ports: { port: string }[];
      }[];
    };
    // It selects the auth pods (and only what the Deployment's selector selects).
    expect(spec.podSelector.matchLabels).toEqual(
      (deployment.spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels,
    );
    expect(spec.policyTypes).toEqual(['Ingress']);
    expect(spec.ingress).toHaveLength(1);
    expect(spec.ingress[0]?.from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'parley' } } },
    ]);
    expect(spec.ingress[0]?.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
  });

  it('extra peers are added only when named', async () => {
    const manifests = await render('auth', [
      'networkPolicy.extraFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=ingress-nginx',
    ]);
    const policy = manifests.find((m) => m.kind === 'NetworkPolicy') as Manifest;
    const from = (policy.spec as unknown as { ingress: { from: unknown[] }[] }).ingress[0]?.from;
    expect(from).toHaveLength(2);
    expect(JSON.stringify(from)).toContain('ingress-nginx');
  });
});

describe.each([
  ['auth', 'parley-auth-credentials'],
  ['compliance', 'parley-compliance-credentials'],
  ['crypto', 'parley-crypto-credentials'],
  ['parley-operator', 'parley-operator-credentials'],
])('chart %s: service credentials', (chart, secret) => {
  it('starts in production mode with a credential Secret of its own, which wins over the shared one', async () => {
    const deployment = (await render(chart)).find((m) => m.kind === 'Deployment') as Manifest;
    const container = (
      deployment.spec as unknown as {
        template: {
          spec: {
            containers: {
              env: { name: string; value?: string }[];
              envFrom: { secretRef: { name: string } }[];
            }[];
          };
        };
      }
    ).template.spec.containers[0];
    expect(container?.env.find((e) => e.name === 'PARLEY_ENV')?.value).toBe('production');
    const sources = container?.envFrom.map((s) => s.secretRef.name) ?? [];
    expect(sources.at(-1)).toBe(secret);
    expect(sources).toContain('parley-connections');
  });
});
