export * from './conversation-stream.ts';
export * from './parley-socket.ts';
