// Elasticsearch 7.10.2 (Apache-2.0) through the CodeLibs cluster runner: one node.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const elasticsearch: ServerDefinition = {
  name: 'elasticsearch',
  dependsOn: [],
  endpoint: (ctx) => `127.0.0.1:${ctx.settings.ports.elasticsearch}`,
  prepare: async (ctx, dataDir) => {
    // The runner reads node_1/config/elasticsearch.yml when present and adds its own defaults.
    const config = join(dataDir, 'node_1', 'config');
    mkdirSync(config, { recursive: true });
    writeFileSync(
      join(config, 'elasticsearch.yml'),
      [
        `transport.port: ${ctx.settings.ports.elasticsearchTransport}`,
        // Developer disks run full; don't turn indices read-only over it.
        'cluster.routing.allocation.disk.threshold_enabled: false',
        'action.auto_create_index: true',
        '',
      ].join('\n'),
    );
  },
  command: (ctx, dataDir) => ({
    file: 'java',
    args: [
      '-Xms512m',
      '-Xmx1g',
      '-Des.distribution.flavor=default',
      '-Des.distribution.type=tar',
      '-Dlog4j2.formatMsgNoLookups=true',
      '-cp',
      join(ctx.installed.elasticsearchLibs, '*'),
      'org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner',
      '-numOfNode',
      '1',
      '-basePath',
      dataDir,
      // The runner serves node N on base + N.
      '-baseHttpPort',
      String(ctx.settings.ports.elasticsearch - 1),
      '-clusterName',
      'parley',
    ],
    cwd: dataDir,
  }),
  probe: async (ctx) => {
    await expectHttpOk(
      `http://127.0.0.1:${ctx.settings.ports.elasticsearch}/_cluster/health?wait_for_status=yellow&timeout=1s`,
      { timeoutMs: 5000 },
      (body) => /"status":"(green|yellow)"/.test(body),
    );
  },
  readyTimeoutMs: 120_000,
};
