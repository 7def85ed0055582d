/** The client checks answers against their schemas: a 200 that is not what the service sends fails. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoClient } from './crypto-client.ts';
import { CryptoServiceError } from './crypto-service-error.ts';

let server: Server;
let baseUrl: string;
beforeAll(async () => {
  // Answers 200 with an HTML page, as a misrouted proxy would.
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>hello</html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('crypto client', () => {
  it('refuses an answer that does not match its schema', async () => {
    const client = new CryptoClient({ baseUrl, serviceToken: 'secret-token-123456' });
    const error = await client.encrypt('acme', 'messages.body', Buffer.from('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CryptoServiceError);
    expect(error).toMatchObject({ code: 'invalid-response', status: 502 });
  });
});
