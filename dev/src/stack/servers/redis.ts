// Redis 7 (Debian's redis-server). The default user gets the admin password, as in production;
// tenants get ACL users limited to `t:<tenant>:` from the operator.

import { redisCommands } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const redis: ServerDefinition = {
  name: 'redis',
  dependsOn: [],
  endpoint: (ctx) => `127.0.0.1:${ctx.settings.ports.redis}`,
  prepare: async () => {},
  command: (ctx, dataDir) => ({
    file: ctx.installed.redisServer,
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(ctx.settings.ports.redis),
      '--dir',
      dataDir,
      '--requirepass',
      ctx.settings.adminPassword,
      '--daemonize',
      'no',
      // Test data: no snapshots or AOF, so stop and start stay instant.
      '--save',
      '',
      '--appendonly',
      'no',
    ],
  }),
  probe: async (ctx) => {
    const reply = await redisCommands(ctx.settings.ports.redis, [
      ['AUTH', ctx.settings.adminPassword],
      ['PING'],
    ]);
    if (!reply.includes('+PONG')) throw new Error(`redis: unexpected reply ${JSON.stringify(reply)}`);
  },
  readyTimeoutMs: 20_000,
};
