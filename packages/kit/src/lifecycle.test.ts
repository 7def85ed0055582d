import { describe, expect, it } from 'vitest';
import { createServiceApp } from './http/create-service-app.ts';
import { stopInOrder } from './lifecycle.ts';
import { createSilentLogger } from './testing/index.ts';

describe('graceful shutdown', () => {
  it('drains a request in flight before the server closes', async () => {
    const app = createServiceApp({ service: 'sample', logger: createSilentLogger() });
    const release = Promise.withResolvers<void>();
    const entered = Promise.withResolvers<void>();
    app.get('/slow', async () => {
      entered.resolve();
      await release.promise;
      return { done: true };
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const inFlight = fetch(`${address}/slow`);
    await entered.promise;
    const closed = app.close();
    release.resolve();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closed;
  });

  it('stops resources in order and carries on past one that fails', async () => {
    const stopped: string[] = [];
    await stopInOrder(
      [
        { name: 'consumer', stop: async () => void stopped.push('consumer') },
        {
          name: 'relay',
          stop: async () => {
            throw new Error('broker gone');
          },
        },
        { name: 'mongodb', stop: async () => void stopped.push('mongodb') },
      ],
      createSilentLogger(),
    );
    expect(stopped).toEqual(['consumer', 'mongodb']);
  });
});
