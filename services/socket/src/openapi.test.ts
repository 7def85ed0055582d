/**
 * The socket service's OpenAPI document (/documentation/json) against one replica as its fixture
 * builds it: valid 3.1, every route in it with its request and response schemas, and a credential
 * documented exactly where a caller without one is refused (the issue 13 check every service
 * runs). The realtime protocol itself is socket.io on the same HTTP server, not a Fastify route,
 * so the routes are kit's probes: the check holds this service to the skeleton like the others.
 */
import { checkDocumentedSecurity, checkOpenApiCoverage } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocketReplica, type SocketReplicaFixture } from './testing/socket-fixture.ts';

let socket: SocketReplicaFixture;

beforeAll(async () => {
  // No token is verified here: an empty key set is enough.
  socket = await openSocketReplica({ settings: {}, jwks: async () => ({ keys: [] }) });
  await socket.replica.app.ready();
}, 60_000);

afterAll(async () => {
  await socket?.close();
});

describe('the socket OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and documents every route with its request and response schemas', async () => {
    const { document, findings, operations } = await checkOpenApiCoverage(socket.replica.app);
    expect(findings).toEqual([]);
    // The three probes: the check did not run over nothing.
    expect(operations).toBeGreaterThanOrEqual(3);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/metrics']));
  });

  it('says a credential is needed exactly where a caller without one is refused', async () => {
    const { document } = await checkOpenApiCoverage(socket.replica.app);
    expect(await checkDocumentedSecurity(socket.replica.app, document)).toEqual([]);
  });
});
