/**
 * A proxy in front of messaging that the test controls, for the socket retry tests: while
 * `refuseChangesOf` names a user, reads of changes acting as that user (a replica's live read of
 * that user's change, or that user's own sync) answer 503; everything else is forwarded.
 */
import { createServer, request } from 'node:http';
import { ACTING_USER_HEADER } from '@parley/contracts';

export interface RefusingMessagingProxy {
  /** Where the replicas call messaging: this proxy. */
  url: string;
  /** The messaging to forward to (set once it listens). */
  target: URL | undefined;
  /** The acting user whose changes reads are refused; undefined: none. */
  refuseChangesOf: string | undefined;
  /** How many reads were refused so far. */
  readonly refused: number;
  close(): void;
}

export async function openRefusingMessagingProxy(): Promise<RefusingMessagingProxy> {
  let refused = 0;
  const server = createServer((incoming, outgoing) => {
    const actingUser = incoming.headers[ACTING_USER_HEADER.toLowerCase()];
    const refuse = proxy.refuseChangesOf;
    if (refuse && actingUser === refuse && /\/changes\?/.test(incoming.url ?? '')) {
      refused += 1;
      outgoing
        .writeHead(503, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ type: 'about:blank', title: 'unavailable', status: 503 }));
      return;
    }
    const target = proxy.target as URL;
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no proxy address');
  const proxy: RefusingMessagingProxy = {
    url: `http://127.0.0.1:${address.port}`,
    target: undefined,
    refuseChangesOf: undefined,
    get refused() {
      return refused;
    },
    close: () => void server.close(),
  };
  return proxy;
}
