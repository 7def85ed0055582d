// FerretDB 1.x: the MongoDB wire protocol over PostgreSQL, so services use the real mongodb driver.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ServerDefinition } from '../server.ts';

const run = promisify(execFile);
const database = 'ferretdb';

export const ferretdb: ServerDefinition = {
  name: 'ferretdb',
  dependsOn: ['postgres'],
  endpoint: (ctx) => `127.0.0.1:${ctx.settings.ports.mongo}`,
  prepare: async (ctx) => {
    // FerretDB keeps every MongoDB database as a schema inside this one PostgreSQL database.
    const psql = ['-h', '127.0.0.1', '-p', String(ctx.settings.ports.postgres), '-U', 'postgres', '-tA'];
    const { stdout } = await run('psql', [
      ...psql,
      '-c',
      `select 1 from pg_database where datname = '${database}'`,
    ]);
    if (stdout.trim() !== '1') await run('psql', [...psql, '-c', `create database ${database}`]);
  },
  command: (ctx) => ({
    file: ctx.installed.ferretdb,
    args: [
      `127.0.0.1:${ctx.settings.ports.mongo}`,
      `postgres://postgres@127.0.0.1:${ctx.settings.ports.postgres}/${database}`,
    ],
  }),
  probe: async (ctx) => {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(ctx.env.MONGO_URL ?? '', {
      serverSelectionTimeoutMS: 2000,
      connectTimeoutMS: 2000,
    });
    try {
      // listDatabases reaches PostgreSQL, unlike ping.
      await client.db('admin').command({ listDatabases: 1, nameOnly: true });
    } finally {
      await client.close();
    }
  },
  readyTimeoutMs: 30_000,
};
