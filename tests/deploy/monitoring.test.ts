/**
 * The umbrella's alerts (PrometheusRule) and Grafana dashboard may only name metrics that exist:
 * every metric in their expressions is one the code registers with prom-client (read from the
 * sources, prefixes resolved), or one of the few external ones named below with the exporter
 * that provides it. An alert on a metric nobody exports never fires, which is worse than none.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageServices, repoRoot } from './dockerfile.ts';
import { chartsDir, kubectl, type Manifest, render } from './helm.ts';

/** Metrics from outside Parley's code, and who exports them. */
const external = new Map([
  ['up', "Prometheus itself, per scrape target (the charts' ServiceMonitors)"],
  ['kafka_consumergroup_lag', 'kafka_exporter (charts/README.md, Monitoring)'],
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !path.includes('/node_modules/') && !path.includes('/testing/'));
}

/** Every metric name registered in the sources (histograms with their _bucket, _count and _sum). */
function registeredMetrics(): Set<string> {
  const services = imageServices().map((s) => s.service);
  const names = new Set<string>();
  for (const file of ['packages', 'services', 'operator'].flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    const localPrefix = text.match(/const prefix = metricPrefix\('([a-z-]+)'\)/)?.[1];
    for (const match of text.matchAll(
      /new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*(['`])(.+?)\2/gs,
    )) {
      const [, type, , raw = ''] = match;
      const expansions = raw.includes('${metricPrefix(service)}')
        ? services.map((s) => raw.replace('${metricPrefix(service)}', `parley_${s.replaceAll('-', '_')}_`))
        : [
            raw
              .replace(
                /\$\{metricPrefix\('([a-z-]+)'\)\}/,
                (_, s: string) => `parley_${s.replaceAll('-', '_')}_`,
              )
              .replace('${prefix}', `parley_${localPrefix}_`),
          ];
      for (const name of expansions) {
        names.add(name);
        if (type === 'Histogram' || type === 'Summary')
          for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
      }
    }
  }
  return names;
}

const registered = registeredMetrics();

/** The metrics an expression reads: bare names, and what each `__name__=~` regex matches. */
function unknownMetrics(expr: string): string[] {
  const unknown: string[] = [];
  for (const [, pattern = ''] of expr.matchAll(/__name__=~"([^"]+)"/g)) {
    const regex = new RegExp(`^(?:${pattern})$`);
    if (![...registered].some((name) => regex.test(name))) unknown.push(`__name__=~${pattern}`);
  }
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  for (const [name = ''] of withoutStrings.matchAll(/\b[a-z_][a-z0-9_]*(?=\s*[{[])/g)) {
    if (['by', 'without', 'on', 'ignoring'].includes(name)) continue;
    if (!registered.has(name) && !external.has(name)) unknown.push(name);
  }
  return unknown;
}

describe('the monitoring of the umbrella chart', () => {
  it('reads the registered metrics from the sources', () => {
    // The reader finds what it must: a check over an empty set would pass anything.
    expect(registered).toContain('parley_operator_leader_info');
    expect(registered).toContain('parley_compliance_audit_checkpoint_refusals_total');
    expect(registered).toContain('parley_gateway_http_request_duration_seconds_count');
    expect(unknownMetrics('rate(parley_no_such_metric_total[5m])')).toEqual(['parley_no_such_metric_total']);
  });

  it('alerts only on metrics that exist, each alert with a severity and a summary', async () => {
    const manifests = await render('parley', {
      values: [join(chartsDir, 'parley/ci/monitoring-values.yaml')],
    });
    const rule = manifests.find((m) => m.kind === 'PrometheusRule') as Manifest;
    const groups = (rule.spec as { groups: { rules: Record<string, unknown>[] }[] }).groups;
    const alerts = groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'ParleyServiceDown',
        'ParleyConsumerLag',
        'ParleyTenantStepsFailing',
        'ParleyAuditCheckpointRefused',
      ]),
    );
    for (const alert of alerts) {
      expect(unknownMetrics(String(alert.expr)), String(alert.alert)).toEqual([]);
      expect(['critical', 'warning']).toContain((alert.labels as { severity: string }).severity);
      expect((alert.annotations as { summary: string }).summary.length).toBeGreaterThan(10);
    }
    // Each Parley process is scraped, so ParleyServiceDown watches all of them.
    expect(manifests.filter((m) => m.kind === 'ServiceMonitor')).toHaveLength(6);
  });

  it('ships a Grafana dashboard, for the sidecar, whose panels read metrics that exist', async () => {
    const manifests = await render('parley', {
      values: [join(chartsDir, 'parley/ci/monitoring-values.yaml')],
    });
    const configMap = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'),
    ) as Manifest & {
      data: Record<string, string>;
    };
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(configMap.data['parley.json'] ?? '') as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(8);
    for (const expr of exprs) expect(unknownMetrics(expr), expr).toEqual([]);
    const output = await kubectl(
      ['apply', '--dry-run=server', '-n', 'parley', '-f', '-'],
      JSON.stringify(configMap),
    );
    expect(output).toMatch(/(created|configured) \(server dry run\)/);
  });

  it('renders neither by default', async () => {
    const manifests = await render('parley', { values: [join(chartsDir, 'parley/ci/minimal-values.yaml')] });
    expect(manifests.map((m) => m.kind)).not.toContain('PrometheusRule');
    expect(manifests.map((m) => m.kind)).not.toContain('ConfigMap');
  });
});
