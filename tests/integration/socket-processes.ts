/**
 * Socket replicas as their own OS processes (services/socket/src/main.ts, as a pod runs them),
 * in front of them a TCP balancer, and the key publication they verify tokens against:
 * - `serveJwks`: the per-tenant JWKS documents at auth's path (`/v1/tenants/<t>/.well-known/jwks.json`),
 *   with the backend's keys, so a replica process verifies through auth-client over HTTP as in
 *   production;
 * - `openBalancer`: each new connection goes to the first target that accepts it (a dead one
 *   refuses, so the next takes over), bytes piped both ways: the load balancer of a cluster, with
 *   no stickiness (the websocket transport needs none).
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, Socket } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { type ServiceProcess, startServiceProcess } from './service-process.ts';
import type { SocketBackend } from './socket-stack.ts';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return address.port;
}

export async function serveJwks(jwks: (tenant: string) => Promise<JSONWebKeySet>): Promise<Listening> {
  const server = createHttpServer((request, response) => {
    const tenant = /^\/v1\/tenants\/([a-z0-9-]+)\/\.well-known\/jwks\.json$/.exec(request.url ?? '')?.[1];
    if (!tenant) {
      response.writeHead(404).end();
      return;
    }
    jwks(tenant).then((keys) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys));
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function openBalancer(targets: number[]): Promise<Listening> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    client.pause();
    open.add(client);
    client.on('error', () => {});
    client.on('close', () => open.delete(client));
    const attempt = (index: number) => {
      if (index >= targets.length || client.destroyed) {
        client.destroy();
        return;
      }
      const upstream = new Socket();
      let connected = false;
      // Refused (that target is dead): the next one; after connecting, an error just closes it.
      upstream.on('error', () => {
        if (!connected) attempt(index + 1);
      });
      upstream.connect(targets[index] as number, '127.0.0.1', () => {
        connected = true;
        open.add(upstream);
        for (const s of [client, upstream]) s.on('close', () => (s === client ? upstream : client).destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      upstream.on('close', () => open.delete(upstream));
    };
    attempt(0);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/** One socket replica process wired to the backend (its messaging, keys, tenant topics). */
export function startSocketProcess(
  backend: SocketBackend,
  jwks: Listening,
  id: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const settings = backend.replicaSettings(id);
  return startServiceProcess('socket', {
    ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])),
    AUTH_URL: jwks.url,
    ...env,
  });
}
