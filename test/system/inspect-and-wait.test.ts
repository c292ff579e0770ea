import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allocMergeable, inspect, mergeableFrom, waitForMerge, watch, type KsmSnapshot } from '../../lib/index.js';
import { inspectPages } from '../../lib/inspect.js';
import { addon } from '../../lib/kernel/addon.js';
import { noProcessMergeCount, rawProcessStats } from '../helpers/kernel.js';
import { ksmdUnavailable, waitUntil, withKsmd } from '../helpers/ksmd.js';
import { KPF_ZERO_PAGE, mergedByHand } from '../helpers/merged-by-hand.cjs';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { linux } from '../helpers/platform.js';

/** Per-page KPF_KSM count read the plainest way, independently of the addon's batching. */
function mergedPagesByHand(view: Buffer): number {
  const { address, start, end } = addon().pageSpan(view);
  return mergedByHand(address, start, end);
}

describe.skipIf(ksmdUnavailable)('inspect() and waitForMerge() on real merges', () => {
  it('two identical 4 MiB allocMergeable buffers merge; inspect agrees with a page-by-page read', async () => {
    const content = randomBytes(4 * 1024 * 1024);
    const a = allocMergeable(content.length);
    const b = allocMergeable(content.length);
    content.copy(a);
    content.copy(b);
    const unique = mergeableFrom(randomBytes(1024 * 1024));
    await withKsmd(async () => {
      await waitForMerge(a, { timeout: 30_000 });
      const state = inspect(a);
      expect(state).toMatchObject({ pages: 1024, present: 1024, marked: true });
      expect(state.merged).toBeGreaterThanOrEqual(1020);
      expect(state.merged).toBe(mergedPagesByHand(a));
      expect(inspect(b).merged).toBeGreaterThanOrEqual(1020);

      expect(inspect(unique)).toMatchObject({ pages: 256, present: 256, merged: 0, marked: true });
      const started = Date.now();
      await expect(waitForMerge(unique, { timeout: 1500 })).rejects.toMatchObject({ name: 'KsmError', code: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    });
    expect(a.equals(b)).toBe(true);
  });

  it('waitForMerge takes a predicate, an AbortSignal, and rejects bad options', async () => {
    let calls = 0;
    await withKsmd(() => waitForMerge(() => ++calls === 3, { timeout: 5000 }));
    expect(calls).toBe(3);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop waiting')), 100);
    await expect(withKsmd(() => waitForMerge(() => false, { signal: controller.signal }))).rejects.toThrow('stop waiting');
    await expect(waitForMerge(() => true, { timeout: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(waitForMerge(() => true, { minRatio: 2 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(waitForMerge('x' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('inspect of a 256 MiB buffer reads pagemap once and kpageflags in batches, not page by page', () => {
    const big = allocMergeable(256 * 1024 * 1024);
    for (let i = 0; i < big.length; i += PAGE_SIZE) big[i] = i / PAGE_SIZE;
    const state = inspectPages(big);
    expect(state.pages).toBe(65536);
    expect(state.present).toBe(65536);
    expect(state.merged).toBe(0);
    expect(state.reads.pagemap).toBe(1);
    // One read per cluster of nearby frames: the kernel hands out frames scattered over RAM, so
    // a single read over their whole span costs 20-50x more (npm run bench, bench/inspect.mjs).
    // How many clusters depends on how fragmented free memory is: 17-27% of the pages here (the
    // most under ASan, whose shadow pages come between the buffer's), never one read a page.
    expect(state.reads.kpageflags).toBeGreaterThanOrEqual(1);
    expect(state.reads.kpageflags).toBeLessThanOrEqual(65536 / 2);
    // Clusters cover their frames and gaps of at most 8 between them: at most 9 entries a page,
    // where one read over the whole span covers millions.
    expect(state.reads.kpageflagsFrames).toBeGreaterThanOrEqual(65536);
    expect(state.reads.kpageflagsFrames).toBeLessThanOrEqual(9 * 65536);
  });

  it('inspect() counts the pages merged with the kernel\'s zero page, as a page-by-page read does', async () => {
    const pages = 64;
    const buffer = allocMergeable(pages * PAGE_SIZE);
    for (let i = 0; i < buffer.length; i += PAGE_SIZE) buffer[i] = 1; // resident now
    buffer.fill(0);
    const merged = await withKsmd(() => waitUntil(() => (inspect(buffer).zeroPages ?? 0) >= pages, 20_000),
      { use_zero_pages: 1 });
    expect(merged).toBe(true);
    const { address, start, end } = addon().pageSpan(buffer);
    expect(inspect(buffer)).toMatchObject({ pages, zeroPages: pages, merged: 0 });
    expect(mergedByHand(address, start, end, KPF_ZERO_PAGE)).toBe(pages);
  });

  it.skipIf(noProcessMergeCount)(`watch() reports how this process's merged pages moved between snapshots${noProcessMergeCount ? ` (${noProcessMergeCount})` : ''}`, async () => {
    const data = randomBytes(64 * PAGE_SIZE);
    const copies = [mergeableFrom(data), mergeableFrom(data)];
    const controller = new AbortController();
    const snapshots: KsmSnapshot[] = [];
    await withKsmd(async () => {
      for await (const snapshot of watch({ interval: 50, signal: controller.signal })) {
        snapshots.push(snapshot);
        const grown = (snapshot.process?.mergingPages ?? 0) - (snapshots[0].process?.mergingPages ?? 0);
        if (grown >= 64 || snapshots.length > 400) controller.abort();
      }
    });
    for (let i = 1; i < snapshots.length; i++) {
      expect(snapshots[i].delta.mergingPages)
        .toBe((snapshots[i].process?.mergingPages ?? 0) - (snapshots[i - 1].process?.mergingPages ?? 0));
    }
    expect(snapshots.reduce((sum, s) => sum + s.delta.mergingPages, 0)).toBeGreaterThanOrEqual(64);
    expect(copies[0].equals(copies[1])).toBe(true);
  });

  it('watch() yields system and process snapshots with deltas', async () => {
    const controller = new AbortController();
    const snapshots = [];
    for await (const snapshot of watch({ interval: 50, signal: controller.signal })) {
      snapshots.push(snapshot);
      if (snapshots.length === 3) controller.abort();
    }
    expect(snapshots.length).toBe(3);
    expect(snapshots[0].delta.fullScans).toBe(0);
    expect(snapshots[2].system.fullScans! - snapshots[1].system.fullScans!).toBe(snapshots[2].delta.fullScans);
    expect(snapshots[2].time).toBeGreaterThan(snapshots[0].time);
    expect(snapshots[0].process?.mergeable).toBe(rawProcessStats().mergeable); // boolean from 6.14, else undefined
    await expect(watch({ interval: 1 }).next()).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('waitForMerge bounds', () => {
  it('a predicate that never settles still ends at the timeout and on abort', async () => {
    const never = () => new Promise<boolean>(() => {});
    await expect(waitForMerge(never, { timeout: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gave up')), 50);
    await expect(waitForMerge(never, { timeout: Infinity, signal: controller.signal })).rejects.toThrow('gave up');
  });

  it.skipIf(!linux)('a view with no whole page is a RangeError', async () => {
    await expect(waitForMerge(Buffer.alloc(100), { timeout: 100 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});
