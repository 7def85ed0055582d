// MinIO as the S3 server (local test server only; production points at any S3).
import { join } from 'node:path';
import { s3AccessKey } from '../env.ts';
import { expectHttpOk } from '../probes.ts';
import type { ServerDefinition } from '../server.ts';

export const minio: ServerDefinition = {
  name: 'minio',
  dependsOn: [],
  endpoint: (ctx) => `127.0.0.1:${ctx.settings.ports.minio} (console ${ctx.settings.ports.minioConsole})`,
  prepare: async () => {},
  command: (ctx, dataDir) => ({
    file: ctx.installed.minio,
    args: [
      'server',
      join(dataDir, 'data'),
      '--address',
      `127.0.0.1:${ctx.settings.ports.minio}`,
      '--console-address',
      `127.0.0.1:${ctx.settings.ports.minioConsole}`,
    ],
    env: {
      MINIO_ROOT_USER: s3AccessKey,
      MINIO_ROOT_PASSWORD: ctx.settings.adminPassword,
      MINIO_UPDATE: 'off', // no network to check for updates
      MINIO_CI_CD: '1',
    },
  }),
  probe: async (ctx) => {
    await expectHttpOk(`http://127.0.0.1:${ctx.settings.ports.minio}/minio/health/ready`);
  },
  readyTimeoutMs: 30_000,
};
