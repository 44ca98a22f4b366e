import { describe, expect, it } from 'vitest';
import { OnDemandThread } from './on-demand-thread.ts';

/** A worker script as a data: URL (Node starts those as ES modules). */
const script = (source: string) => new URL(`data:text/javascript,${encodeURIComponent(source)}`);
const doubler = script(`
  import { parentPort } from 'node:worker_threads';
  parentPort.on('message', ({ id, input }) => {
    if (input < 0) parentPort.postMessage({ id, error: 'negative: ' + input });
    else if (input === 13) process.exit(3);
    else parentPort.postMessage({ id, output: input * 2 });
  });
`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OnDemandThread', () => {
  it('starts on the first call, answers calls in flight by id, and stops once idle', async () => {
    const thread = new OnDemandThread<number, number>({ name: 'doubler', script: doubler, idleMs: 100 });
    expect(thread.running).toBe(false);
    expect(await Promise.all([thread.run(1), thread.run(2), thread.run(3)])).toEqual([2, 4, 6]);
    expect(thread.running).toBe(true);
    await sleep(50);
    expect(await thread.run(4)).toBe(8);
    await sleep(60);
    expect(thread.running, 'a call restarts the idle countdown').toBe(true);
    await expect.poll(() => thread.running, { timeout: 2_000 }).toBe(false);
    expect(await thread.run(5), 'a stopped thread starts again for the next call').toBe(10);
  });

  it('answers a call made while the idle thread is stopping, on a new thread', async () => {
    const thread = new OnDemandThread<number, number>({ name: 'doubler', script: doubler, idleMs: 20 });
    expect(await thread.run(1)).toBe(2);
    // The turn the idle timer stops the thread, before the old thread's exit arrives.
    while (thread.running) await new Promise((resolve) => setImmediate(resolve));
    expect(await thread.run(6)).toBe(12);
  });

  it('rejects a call the worker reports failed, and every call in flight when the thread dies; the next call gets a new thread', async () => {
    const thread = new OnDemandThread<number, number>({ name: 'doubler', script: doubler, idleMs: 100 });
    await expect(thread.run(-1)).rejects.toThrow('negative: -1');
    const inFlight = thread.run(21);
    await expect(thread.run(13)).rejects.toThrow('the doubler thread exited (code 3)');
    // 21 was answered before the exit, or rejected with it.
    await inFlight.then((value) => expect(value).toBe(42), (error: Error) => expect(error.message).toContain('exited'));
    expect(await thread.run(7)).toBe(14);
  });
});
