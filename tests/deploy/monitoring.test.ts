/**
 * The umbrella's alerts (PrometheusRule) and Grafana dashboard may only name metrics that exist:
 * every metric in their expressions is one the code registers with prom-client (read from the
 * sources, prefixes resolved), or one of the few external ones named below with the exporter
 * that provides it. An alert on a metric nobody exports never fires, which is worse than none.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartsDir, kubectl, type Manifest, render } from './helm.ts';
import { registeredMetrics } from './metrics-registry.ts';

/** Metrics from outside Parley's code, and who exports them. */
const external = new Map([
  ['up', "Prometheus itself, per scrape target (the charts' ServiceMonitors)"],
  ['kafka_consumergroup_lag', 'kafka_exporter (charts/README.md, Monitoring)'],
]);

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
    expect(registered).toContain('parley_compliance_audit_unsigned_records');
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
        // The five: a service down, consumer lag, audit checkpoint overdue, tenant not
        // Ready, key rotation overdue; the last three on gauges the services export for them.
        'ParleyAuditCheckpointOverdue',
        'ParleyTenantNotReady',
        'ParleyKeyRotationOverdue',
      ]),
    );
    for (const alert of alerts) {
      expect(unknownMetrics(String(alert.expr)), String(alert.alert)).toEqual([]);
      expect(['critical', 'warning']).toContain((alert.labels as { severity: string }).severity);
      expect((alert.annotations as { summary: string }).summary.length).toBeGreaterThan(10);
    }
    // Each Parley process is scraped, so ParleyServiceDown watches all of them.
    expect(manifests.filter((m) => m.kind === 'ServiceMonitor')).toHaveLength(11);
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
    expect(manifests.filter((m) => m.metadata.labels?.grafana_dashboard)).toEqual([]);
  });
});
