/**
 * A webhook receiver on 127.0.0.1 for the outgoing-webhook tests (it keeps what it got, verifies
 * it with `standardwebhooks`, and can go down, its port refusing, and come back on the same port),
 * and the tests' polling wait.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from '@parley/contracts';
import { Webhook } from 'standardwebhooks';

export type MessagePayload = Extract<WebhookPayload, { data: { messageId: string } }>;
export type MemberPayload = Extract<WebhookPayload, { data: { change: string } }>;

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that keeps what it got; it can go down and come back on its port. */
export class Receiver {
  readonly got: Received[] = [];
  /** What it answers each delivery (a test may make it refuse, then accept). */
  status = 204;
  #server: Server | undefined;
  port = 0;

  async up(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        this.got.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/parley`;
  }

  /** What came, each verified against the endpoint's secret. */
  verified<P extends WebhookPayload = MessagePayload>(secret: string): { id: string; payload: P }[] {
    const webhook = new Webhook(secret);
    return this.got.map((r) => ({
      id: String(r.headers['webhook-id']),
      payload: webhook.verify(r.body, r.headers as Record<string, string>) as P,
    }));
  }
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  state: () => Promise<unknown> | unknown = () => '',
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await state())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
