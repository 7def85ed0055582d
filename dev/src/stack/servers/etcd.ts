// etcd 3.6, the Kubernetes API server's store. --unsafe-no-fsync: test data, and fsync on a
// shared disk is what makes a local control plane slow.
import { join } from 'node:path';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const etcd: ServerDefinition = {
  name: 'etcd',
  dependsOn: [],
  endpoint: (ctx) => `127.0.0.1:${ctx.settings.ports.etcd}`,
  prepare: async () => {},
  command: (ctx, dataDir) => {
    const client = `http://127.0.0.1:${ctx.settings.ports.etcd}`;
    const peer = `http://127.0.0.1:${ctx.settings.ports.etcdPeer}`;
    return {
      file: ctx.installed.etcd,
      args: [
        '--name',
        'parley',
        '--data-dir',
        join(dataDir, 'data'),
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `parley=${peer}`,
        '--unsafe-no-fsync',
        '--log-level',
        'warn',
      ],
    };
  },
  probe: async (ctx) => {
    await expectHttpOk(`http://127.0.0.1:${ctx.settings.ports.etcd}/health`, {}, (body) =>
      body.includes('"health":"true"'),
    );
  },
  readyTimeoutMs: 30_000,
};
