import { describe, expect, it } from 'vitest';
import { allOk, eachAlone, GroupCommit, type ItemResult } from './group-commit.ts';

/** A flush whose calls the test completes by hand, recording every batch it was given. */
function manualFlush() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const flush = (items: number[]): Promise<ItemResult<number>[]> => {
    batches.push(items);
    return new Promise((resolve) => {
      pending.push(() => resolve(items.map((i) => ({ ok: true, value: i * 10 }))));
    });
  };
  const finishNext = async () => {
    await waitUntil(() => pending.length > 0);
    pending.shift()?.();
  };
  return { flush, batches, finishNext };
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  if (!condition()) throw new Error('condition never became true');
}

describe('GroupCommit', () => {
  it('sends a lone item at once, and what arrives meanwhile as one batch after it', async () => {
    const { flush, batches, finishNext } = manualFlush();
    const commit = new GroupCommit(flush);
    const first = commit.submit(1);
    await waitUntil(() => batches.length === 1);
    const later = [commit.submit(2), commit.submit(3), commit.submit(4)];
    expect(batches).toEqual([[1]]); // the others wait for the call in flight
    await finishNext();
    expect(await first).toBe(10);
    await finishNext();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('bounds a batch by maxBatch', async () => {
    const { flush, batches, finishNext } = manualFlush();
    const commit = new GroupCommit(flush, { maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => commit.submit(i));
    for (let i = 0; i < 3; i++) await finishNext();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('fails every item of a batch whose call throws, and serves the next batch normally', async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('broker down');
      return allOk(items.length, 7);
    });
    const first = commit.submit(1);
    const second = commit.submit(2);
    await expect(first).rejects.toThrow('broker down');
    expect(await second).toBe(7);
  });

  it('gives each item its own result, failures included', async () => {
    const commit = new GroupCommit<number, number>((items) =>
      eachAlone(items, async (i) => {
        if (i === 2) throw new Error('refused');
        return i;
      }),
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => commit.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
