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

/** A Deployment, or the StatefulSet of a chart whose pods keep a volume (the gateway). */
const isWorkload = (m: Manifest) => m.kind === 'Deployment' || m.kind === 'StatefulSet';

async function render(chart: string, set: string[] = []): Promise<Manifest[]> {
  const args = ['template', `parley-${chart}`, join(chartsDir, chart), '--namespace', 'parley'];
  args.push('--set', 'global.imageRegistry=registry.example.com');
  for (const value of set) args.push('--set', value);
  const yaml = (await run(stackSetting('PARLEY_HELM'), args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const child = run(stackSetting('PARLEY_KUBECTL'), ['create', '--dry-run=client', '-o', 'json', '-f', '-'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  child.child.stdin?.end(yaml);
  // One pretty-printed object per manifest, each closing with a `}` at the start of a line.
  return (await child).stdout.split(/(?<=^\})\n(?=\{)/m).map((text) => JSON.parse(text) as Manifest);
}

interface PolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress: {
    from?: { podSelector?: { matchLabels: Record<string, string> } }[];
    ports: { port: string }[];
  }[];
  egress: { to?: unknown[]; ports?: { port: number; protocol: string }[] }[];
}

function policyOf(manifests: Manifest[]): PolicySpec {
  const policy = manifests.find((m) => m.kind === 'NetworkPolicy');
  expect(policy, 'a NetworkPolicy').toBeDefined();
  return policy?.spec as unknown as PolicySpec;
}

describe.each([
  ['auth', [27017, 6379, 9092]],
  ['messaging', [27017, 6379, 9092]],
  ['compliance', [27017, 6379, 9092, 9000, 443]],
  ['crypto', [27017, 9092]],
  ['media', [27017, 6379, 9000, 443, 9092]],
  ['search', [27017, 6379, 9092, 9200]],
  ['notifier', [27017, 6379, 9092, 587, 465, 25]],
  ['integrations', [27017, 6379, 9092, 443, 80]],
  ['parley-operator', [27017, 6379, 9092, 9000, 443, 9200, 443, 6443]],
])('chart %s: network exposure', (chart, storePorts) => {
  it("admits only Parley's own pods, on its one port, and lets out only DNS, Parley and its stores", async () => {
    const manifests = await render(chart);
    const spec = policyOf(manifests);
    const deployment = manifests.find(isWorkload) as Manifest;
    // It selects the service's pods (and only what the workload's selector selects).
    expect(spec.podSelector.matchLabels).toEqual(
      (deployment.spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels,
    );
    // Both directions: whatever is not listed is denied.
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.ingress).toHaveLength(1);
    expect(spec.ingress[0]?.from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'parley' } } },
    ]);
    expect(spec.ingress[0]?.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    const [dns, parley, ...stores] = spec.egress;
    expect(dns).toEqual({
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    expect(parley).toEqual({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'parley' } } }],
    });
    expect(stores.flatMap((rule) => rule.ports?.map((p) => p.port) ?? []).sort()).toEqual(
      [...storePorts].sort(),
    );
  });

  it('extra peers are added only when named', async () => {
    const manifests = await render(chart, [
      'networkPolicy.extraFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=ingress-nginx',
    ]);
    const from = policyOf(manifests).ingress[0]?.from;
    expect(from).toHaveLength(2);
    expect(JSON.stringify(from)).toContain('ingress-nginx');
  });
});

describe('chart gateway: network exposure', () => {
  it('takes outside traffic on its one port, and lets out only DNS, Parley and Redis', async () => {
    const spec = policyOf(await render('gateway'));
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    // No `from`: anyone, but only on the http port.
    expect(spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    expect(spec.egress.slice(2)).toEqual([{ ports: [{ port: 6379, protocol: 'TCP' }] }]);
  });
});

describe('chart socket: network exposure', () => {
  it('takes outside traffic on its one port, and lets out only DNS, Parley, Redis and Kafka', async () => {
    const spec = policyOf(await render('socket'));
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    expect(spec.egress.slice(2)).toEqual([
      { ports: [{ port: 9092, protocol: 'TCP' }] },
      { ports: [{ port: 6379, protocol: 'TCP' }] },
    ]);
  });
});

describe.each([
  ['gateway', 'parley-gateway-credentials'],
  ['socket', 'parley-socket-credentials'],
  ['media', 'parley-media-credentials'],
  ['search', 'parley-search-credentials'],
  ['notifier', 'parley-notifier-credentials'],
  ['integrations', 'parley-integrations-credentials'],
  ['messaging', 'parley-messaging-credentials'],
  ['auth', 'parley-auth-credentials'],
  ['compliance', 'parley-compliance-credentials'],
  ['crypto', 'parley-crypto-credentials'],
  ['parley-operator', 'parley-operator-credentials'],
])('chart %s: service credentials', (chart, secret) => {
  it('starts in production mode with a credential Secret of its own, which wins over the shared one', async () => {
    const deployment = (await render(chart)).find(isWorkload) as Manifest;
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
