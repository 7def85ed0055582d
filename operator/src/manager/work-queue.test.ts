import { describe, expect, it } from 'vitest';
import { PerKeyBackoff } from './backoff.ts';
import { WorkQueue } from './work-queue.ts';

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(queue.depth).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
  });

  it('never hands out a key being processed; re-queues it when done', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    const key = await queue.get();
    queue.add('ns/a'); // an event while it is processing
    expect(queue.depth).toBe(0);
    queue.done(key as string);
    expect(queue.depth).toBe(1);
    expect(await queue.get()).toBe('ns/a');
  });

  it('wakes a waiting worker and keeps only the earliest delayed add', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.addAfter('ns/a', 10_000);
    queue.addAfter('ns/a', 5);
    expect(await waiting).toBe('ns/a');
  });

  it('expedites a key waiting on a backoff due later than asked, and only such a key', async () => {
    const queue = new WorkQueue();
    queue.addAfter('ns/far', 600_000);
    queue.addAfter('ns/near', 1_000);
    expect(queue.expedite('ns/near', 10_000)).toBe(false); // due soon anyway
    expect(queue.expedite('ns/idle', 10_000)).toBe(false); // not waiting at all
    expect(queue.expedite('ns/far', 10_000)).toBe(true);
    expect(queue.depth).toBe(1);
    expect(await queue.get()).toBe('ns/far');
    expect(queue.expedite('ns/far', 10_000)).toBe(false); // its timer is gone with it
    queue.shutDown();
  });

  it('hands out nothing after shutdown', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.add('ns/a');
    await waiting;
    queue.add('ns/b');
    queue.shutDown();
    expect(await queue.get()).toBeUndefined();
  });
});

describe('PerKeyBackoff', () => {
  it('doubles per failure up to the cap and resets on forget', () => {
    const backoff = new PerKeyBackoff({ baseMs: 100, maxMs: 1000 });
    expect([1, 2, 3, 4, 5].map(() => backoff.next('k'))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoff.next('other')).toBe(100);
    backoff.forget('k');
    expect(backoff.next('k')).toBe(100);
  });
});
