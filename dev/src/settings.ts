// The dev tooling's settings: the only module under dev/ that reads process.env.
// Services read their settings through packages/kit; this is tooling, so plain env reads suffice,
// but every knob is named and defaulted here so the rest of dev/ never touches process.env.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function stringSetting(name: string, fallback: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** Default ports; PARLEY_STACK_PORT_OFFSET shifts them all so a second stack can run beside one. */
const defaultPorts = {
  redis: 16379,
  postgres: 15432,
  mongo: 17017,
  kafka: 19092,
  kafkaController: 19093,
  minio: 19000,
  minioConsole: 19001,
  // The CodeLibs runner refuses HTTP ports above 9299, so Elasticsearch stays below it.
  elasticsearch: 9250,
  elasticsearchTransport: 9350,
  etcd: 12379,
  etcdPeer: 12380,
  apiserver: 16443,
  controllerManager: 20257,
  scheduler: 20259,
  kwok: 20260,
  mailpitSmtp: 11025,
  mailpitHttp: 18025,
} as const;

export type PortName = keyof typeof defaultPorts;

export interface Settings {
  cacheDir: string;
  runDir: string;
  portOffset: number;
  ports: Record<PortName, number>;
  /** Password of every stack administrator (Redis default user, Kafka admin, MinIO root). Local only. */
  adminPassword: string;
  /** True in CI or without a terminal: progress is printed as plain lines. */
  plainOutput: boolean;
  /** Extra args for `node` when the CLI starts services (e.g. --inspect). */
  serviceNodeArgs: string[];
}

export function loadSettings(): Settings {
  const portOffset = intSetting('PARLEY_STACK_PORT_OFFSET', 0);
  const ports = Object.fromEntries(
    Object.entries(defaultPorts).map(([name, port]) => [
      name,
      // PARLEY_STACK_PORT_KAFKACONTROLLER etc. pin one port exactly, ignoring the offset.
      intSetting(`PARLEY_STACK_PORT_${name.toUpperCase()}`, port + portOffset),
    ]),
  ) as Record<PortName, number>;
  return {
    cacheDir: resolve(stringSetting('PARLEY_CACHE_DIR', join(homedir(), '.cache', 'parley'))),
    runDir: resolve(stringSetting('PARLEY_RUN_DIR', join(repoRoot, '.parley', 'run'))),
    portOffset,
    ports,
    adminPassword: stringSetting('PARLEY_STACK_ADMIN_PASSWORD', 'parley-admin-secret'),
    plainOutput: process.env.CI === 'true' || process.env.CI === '1' || !process.stdout.isTTY,
    serviceNodeArgs: stringSetting('PARLEY_SERVICE_NODE_ARGS', '').split(' ').filter(Boolean),
  };
}

/** The environment handed to servers, services and tests we start: ours plus the caller's. */
export function inheritedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
