/**
 * The realtime door: a websocket upgrade on `/socket.io/` is forwarded to one of the socket
 * service's replicas (SOCKET_URLS), so the web client reaches its socket on its own origin (the
 * page's `connect-src 'self'` holds) and a deployment needs no second public address.
 *
 * After the upgrade this is a byte pipe, as a layer-4 load balancer is: the socket service speaks
 * socket.io to the browser end to end and verifies the token itself (the gateway neither parses
 * frames nor sees the token, which rides in socket.io's `auth` payload). Not @fastify/http-proxy:
 * its websocket mode ends each websocket here and opens a second one upstream (every frame parsed
 * twice) and can reconnect upstream behind the client's back, which would hide a replica's death
 * from socket-client, whose recovery (sync by seq) depends on seeing the reconnect. Not
 * http-proxy: unmaintained since 2020. Node's own http client does the upgrade handshake.
 *
 * Replicas are tried round-robin; one that refuses the connection is skipped (the next is
 * tried), so a dead replica costs a retry, not a failed connect. The socket service's transport is
 * websocket only with no sticky sessions, so any replica serves any connection.
 * On close the forwarded sockets are ended: clients reconnect (to another gateway) and recover.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServiceApp } from '@parley/kit';

export const SOCKET_PATH = '/socket.io/';

/** Set here, not taken from the client (x-forwarded-for is appended to). */
const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];

export function installSocketForwarding(app: ServiceApp, replicas: readonly string[]): void {
  const open = new Set<Duplex>();
  let next = 0;

  const refuse = (client: Duplex, status: string) => {
    client.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  };

  const forward = (incoming: IncomingMessage, client: Duplex, head: Buffer, attemptsLeft: number) => {
    const replica = new URL(replicas[next++ % replicas.length] as string);
    const headers = { ...incoming.headers };
    for (const name of FORWARDED) delete headers[name];
    const address = incoming.socket.remoteAddress ?? '';
    const upstream = httpRequest({
      host: replica.hostname,
      port: replica.port,
      method: incoming.method,
      path: incoming.url,
      headers: {
        ...headers,
        'x-forwarded-for': [incoming.headers['x-forwarded-for'], address].filter(Boolean).join(', '),
        'x-forwarded-proto': 'encrypted' in incoming.socket ? 'https' : 'http',
        ...(incoming.headers.host ? { 'x-forwarded-host': incoming.headers.host } : {}),
      },
    });
    upstream.on('upgrade', (answer, socket, upstreamHead) => {
      const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2)
        lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (head.length > 0) socket.write(head);
      open.add(client);
      const done = () => {
        open.delete(client);
        client.destroy();
        socket.destroy();
      };
      for (const end of [client, socket]) {
        end.on('error', done);
        end.on('close', done);
      }
      socket.pipe(client).pipe(socket);
    });
    // The replica answered without upgrading (it refused the handshake): pass its answer on.
    upstream.on('response', (answer) => {
      const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2)
        lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      answer.pipe(client);
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (client.destroyed) return;
      if (error.code === 'ECONNREFUSED' && attemptsLeft > 1) {
        forward(incoming, client, head, attemptsLeft - 1);
        return;
      }
      app.log.warn({ err: error, replica: replica.origin }, 'socket replica unreachable');
      refuse(client, '502 Bad Gateway');
    });
    client.on('error', () => upstream.destroy());
    upstream.end();
  };

  app.server.on('upgrade', (incoming: IncomingMessage, client: Duplex, head: Buffer) => {
    if (!incoming.url?.startsWith(SOCKET_PATH)) return refuse(client, '404 Not Found');
    if (replicas.length === 0) return refuse(client, '503 Service Unavailable');
    forward(incoming, client, head, replicas.length);
  });

  // Before the server closes: upgraded sockets are no longer the HTTP server's to wait for.
  app.addHook('preClose', async () => {
    for (const client of open) client.destroy();
    open.clear();
  });
}
