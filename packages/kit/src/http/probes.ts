/**
 * `/health` says the process is alive; `/ready` says its own dependencies answer, each checked in
 * parallel with a timeout so one hung dependency cannot hang the probe.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function runReadinessChecks(
  checks: Record<string, ReadinessCheck>,
): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; error?: string }> }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS);
        return [name, { ok: true }] as const;
      } catch (error) {
        return [name, { ok: false, error: (error as Error).message }] as const;
      }
    }),
  );
  return { ready: entries.every(([, r]) => r.ok), checks: Object.fromEntries(entries) };
}

const HealthSchema = Type.Object({ status: Type.Literal('ok') });
const ReadinessSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  checks: Type.Record(
    Type.String(),
    Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }),
  ),
});

export function installProbes(app: FastifyInstance, checks: Record<string, ReadinessCheck>): void {
  app.get(
    '/health',
    {
      logLevel: 'warn',
      schema: { tags: ['operations'], description: 'The process is alive', response: { 200: HealthSchema } },
    },
    async () => ({ status: 'ok' as const }),
  );
  const ready = {
    tags: ['operations'],
    description: "The service's own dependencies answer (each within 2 s); 503 names those that do not",
    response: { 200: ReadinessSchema, 503: ReadinessSchema },
  };
  app.get('/ready', { logLevel: 'warn', schema: ready }, async (_request, reply) => {
    const result = await runReadinessChecks(checks);
    reply.status(result.ready ? 200 : 503);
    return { status: result.ready ? 'ready' : 'not-ready', checks: result.checks };
  });
}

/** The readiness checks of a service's connections, each named as the connection names itself. */
export function readinessOf(
  ...connections: readonly { name: string; ping(): Promise<unknown> }[]
): Record<string, ReadinessCheck> {
  return Object.fromEntries(connections.map((c) => [c.name, () => c.ping()]));
}
