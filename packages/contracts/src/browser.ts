/**
 * `@parley/contracts/browser`: the contracts a browser (or any client outside Node) imports —
 * HTTP bodies and the realtime socket's events. None of these modules reach Node's built-ins;
 * the Kafka events do not belong here, because their envelope (event-envelope.ts) makes ids
 * with node:crypto, which a browser bundle can only stub. tests/integration/web-bundle.test.ts
 * fails when a node: module reaches the web client's bundle through this or any other path.
 */
export * from './http/auth.ts';
export * from './http/media.ts';
export * from './http/messaging.ts';
export * from './http/search.ts';
export * from './realtime/socket.ts';
