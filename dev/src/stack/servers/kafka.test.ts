import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../settings.ts';
import { installedPaths } from '../catalog.ts';
import { connectionEnv } from '../env.ts';
import type { StackContext } from '../server.ts';
import { formatStorage, log4j2, serverProperties } from './kafka.ts';

// A cluster id is 16 random bytes in base64url, so one in 64 begins with '-' (a first byte of
// 0xf8–0xfb). A CI run once failed to start its stack on such an id: the storage tool took it
// for an option. This formats real KRaft storage with one.
describe('Kafka storage format', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-kafka-format-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('accepts a cluster id that begins with a dash', async () => {
    const settings = loadSettings();
    const installed = installedPaths(settings);
    const ctx: StackContext = { settings, installed, env: connectionEnv(settings, installed) };
    const clusterId = Buffer.from([0xf8, ...Array(15).fill(7)]).toString('base64url');
    expect(clusterId.startsWith('-')).toBe(true);

    mkdirSync(join(dataDir, 'logs'));
    writeFileSync(join(dataDir, 'server.properties'), serverProperties(ctx, dataDir));
    writeFileSync(join(dataDir, 'log4j2.properties'), log4j2);
    await formatStorage(ctx, dataDir, clusterId);

    const meta = readFileSync(join(dataDir, 'data', 'meta.properties'), 'utf8');
    expect(meta).toContain(`cluster.id=${clusterId}`);
  }, 60_000);
});
