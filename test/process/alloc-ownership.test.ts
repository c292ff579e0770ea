import { constants as bufferConstants } from 'node:buffer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { holdTrimming } from '../../lib/alloc.js';
import { allocMergeable, capabilities } from '../../lib/index.js';
import { addon } from '../../lib/kernel/addon.js';
import { fixture } from '../helpers/paths.js';
import { collect, collectUntilLive } from '../helpers/gc.js';
import { runNode, runNodeJson } from '../helpers/child.js';
import { readSmapsMappings, underSanitizer } from '../helpers/proc.js';
import { linux } from '../helpers/platform.js';

// The allocator's ownership rule: a block is reused or unmapped only when no ArrayBuffer
// anywhere can reach it, whatever detaches, transfers or tears down around it; and what the
// user chose about marking outlives nothing it should not.
const address = (view: ArrayBufferView) => addon().pageSpan(view).address;
/** Collects, then trims twice with nothing allocated between: what an idle process's timer does. */
async function trimIdle() {
  await collectUntilLive(0);
  addon().trimAllocator();
  addon().trimAllocator();
  return addon().allocatorStats();
}
interface DetachReport {
  received: number; intact: boolean; overlapping: number; liveWhileHeld: number;
  liveWhileOnlyItIsHeld: number; stillIntact: boolean; liveAfterDropped: number;
}
// ArrayBuffer.prototype.transfer: Node 21+ by default, Node 20 behind a V8 flag.
const transferFlag = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'
  ? [] : ['--harmony-rab-gsab-transfer'];

describe.skipIf(!linux)('memory a worker detached and handed on outlives the worker', () => {
  it.each([
    ['a BYOB read of a byte stream, then postMessage with a transfer list', 'byob'],
    ['postMessage of the Buffer\'s own ArrayBuffer in a transfer list', 'postMessage'],
    ['ArrayBuffer.prototype.transfer(), then postMessage with a transfer list', 'transfer'],
  ])('%s: the received bytes stay intact, no later allocation overlaps them, and the block goes back only when they are dropped',
    (_how, how) => {
      for (const size of [3 * 4096, 4 * 1024 * 1024]) { // a slot, and a mapping of its own
        const report = runNodeJson<DetachReport>('',
          { args: ['--expose-gc', ...transferFlag, fixture('detach-and-exit.cjs'), how, String(size)] });
        expect(report).toEqual({
          received: size, intact: true, overlapping: 0, liveWhileHeld: 65, liveWhileOnlyItIsHeld: 1,
          stillIntact: true, liveAfterDropped: 0,
        });
      }
    });
});

describe.skipIf(!linux)('worker.terminate() while a worker is inside a native call', () => {
  it.each(['allocMergeable', 'markMergeable', 'unmarkMergeable', 'inspect', 'mergeableFrom', 'readFileMergeable'])(
    '%s: 100 terminations, the process lives, and the allocator holds nothing once all is collected', (entry) => {
      const result = runNode('', { args: ['--expose-gc', fixture('terminate-busy.cjs'), '100', entry] });
      expect(result.stderr).not.toMatch(/terminate called|Aborted|FATAL ERROR/);
      expect({ status: result.status, signal: result.signal }, result.stderr).toEqual({ status: 0, signal: null });
      const report = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
      expect(report.terminated).toEqual({ [entry]: 100 });
      expect(report.allocator).toEqual({ arenas: 0, liveBlocks: 0, liveBytes: 0, keptBytes: 0, unmarkedRanges: 0, heapMarks: 0 });
    }, 120_000);
});

describe.skipIf(!linux)('failure paths of making a Buffer over a block', () => {
  it('a length past what a Buffer can hold is refused before any block is taken: no double free, nothing held', async () => {
    await collect();
    const before = addon().allocatorStats();
    expect(() => addon().allocate(bufferConstants.MAX_LENGTH + 1)).toThrow(RangeError);
    expect(() => addon().allocate(0)).toThrow(RangeError);
    await collect();
    expect(addon().allocatorStats()).toEqual(before);
  });
});

describe.skipIf(!linux)('arenas stay warm while used, and go back when idle', () => {
  // The tests call the trim themselves; the timer, which on a busy machine may tick at any await,
  // holds off (but in the test of the timer itself).
  beforeEach(() => holdTrimming(true));
  afterEach(() => holdTrimming(false));

  it.each([4096, 64 * 1024, 1024 * 1024])('%i bytes freed and allocated again come from the same kept memory, zeroed', async (size) => {
    await trimIdle();
    await reuseKept(size);
  });

  async function reuseKept(size: number) {
    let first: Buffer | undefined = allocMergeable(size, 0xee);
    const firstAddress = address(first);
    first = undefined;
    await collectUntilLive(0);
    const kept = addon().allocatorStats();
    expect(kept.arenas).toBe(1); // its arena was emptied but stays mapped
    expect(kept.keptBytes).toBe(size); // and its slot resident
    const second = allocMergeable(size);
    expect(address(second)).toBe(firstAddress);
    expect(second.every((byte) => byte === 0)).toBe(true);
    expect(addon().allocatorStats()).toMatchObject({ arenas: 1, keptBytes: 0, liveBlocks: 1 });
  }

  it('kept slots that no allocation took between two trims go back to the kernel, though other sizes keep allocating', async () => {
    await trimIdle();
    for (let i = 0; i < 64; i++) allocMergeable(64 * 1024, 1); // garbage at once
    const live = allocMergeable(4096, 2);
    await collectUntilLive(1);
    expect(addon().allocatorStats().keptBytes).toBe(64 * 64 * 1024);
    expect(addon().trimAllocator()).toBe(true); // they were freed since the last trim: kept
    expect(addon().allocatorStats().keptBytes).toBe(64 * 64 * 1024);
    const others = Array.from({ length: 16 }, () => allocMergeable(4096)); // a busy process, other sizes
    expect(addon().trimAllocator()).toBe(true); // unused for a whole interval; `live` still holds an arena
    expect(addon().allocatorStats()).toMatchObject({ keptBytes: 0, arenas: 1 }); // the 64 KiB class's is gone
    expect(live.every((byte) => byte === 2)).toBe(true);
    expect(others).toHaveLength(16);
  });

  it('slots given back by a trim come back zeroed, every byte, and while given back are not resident', async () => {
    await trimIdle();
    const live = allocMergeable(64 * 1024, 2); // holds the arena
    for (let i = 0; i < 64; i++) allocMergeable(64 * 1024, 0xab); // filled, garbage at once
    await collectUntilLive(1);
    const arena = readSmapsMappings().find(({ start, bytes }) => start <= address(live) && address(live) < start + bytes)!;
    const residentAt = () => readSmapsMappings().find(({ start }) => start === arena.start)!.rss;
    expect(addon().allocatorStats().keptBytes).toBe(64 * 64 * 1024);
    const before = residentAt();
    expect(before).toBeGreaterThanOrEqual(65 * 64 * 1024);
    expect(addon().trimAllocator()).toBe(true);
    expect(addon().trimAllocator()).toBe(true); // none taken since the last: all 64 go back
    expect(addon().allocatorStats()).toMatchObject({ keptBytes: 0, liveBlocks: 1 });
    expect(before - residentAt()).toBeGreaterThanOrEqual(64 * 64 * 1024);
    const again = Array.from({ length: 64 }, () => allocMergeable(64 * 1024));
    expect(again.filter((buffer) => !buffer.every((byte) => byte === 0))).toHaveLength(0);
    expect(live.every((byte) => byte === 2)).toBe(true);
  });

  it('of a class in use, only the kept slots unused since the last trim go back', async () => {
    await trimIdle();
    for (let i = 0; i < 64; i++) allocMergeable(64 * 1024, 1); // garbage at once
    const live = allocMergeable(64 * 1024, 2);
    await collectUntilLive(1);
    expect(addon().trimAllocator()).toBe(true);
    const reused = Array.from({ length: 16 }, () => allocMergeable(64 * 1024)); // 16 of the 64 taken again
    expect(addon().trimAllocator()).toBe(true); // the 48 no one took go back
    expect(addon().allocatorStats()).toMatchObject({ keptBytes: 0, liveBlocks: 17 });
    expect([live[0], reused.length]).toEqual([2, 16]);
  });

  it('the idle timer gives kept memory back by itself within about two seconds', async () => {
    holdTrimming(false);
    await trimIdle();
    allocMergeable(64 * 1024, 1); // garbage at once
    await collectUntilLive(0);
    expect(addon().allocatorStats().keptBytes).toBe(64 * 1024);
    // Two ticks of a 1 s timer; more under load, so the bound is loose.
    const began = Date.now();
    while (addon().allocatorStats().keptBytes > 0 && Date.now() - began < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(Date.now() - began).toBeGreaterThanOrEqual(900); // not before a tick had seen it idle
    expect(addon().allocatorStats()).toMatchObject({ keptBytes: 0, arenas: 0 });
  });
});

describe.skipIf(!linux)('what the user chose about marking', () => {
  it.skipIf(!capabilities().processMerge || underSanitizer(''))(`turning process-wide merge off marks again the allocator's memory and the user's heap marks, but not what the user unmarked${
    linux && !capabilities().processMerge ? ' (skipped: process-wide merge needs Linux 6.4)' : ''}${
    underSanitizer('') ? ' (skipped under AddressSanitizer: turning it off walks all of its shadow memory)' : ''}`, () => {
    const marked = { slot: false, ownMapping: false, untouched: true, heapMarked: true, heapUnmarked: false };
    expect(runNodeJson('', { args: [fixture('remark-after-process-merge.cjs')] }))
      .toEqual({ before: marked, after: marked });
  });

  it.each(['transfer', 'structuredClone', 'postMessage'])(
    'a mark on a Buffer.alloc whose memory moved on (%s), the detached original kept: it ends with the memory', (how) => {
      const report = runNodeJson<Record<string, number | boolean>>('', { args: ['--expose-gc', ...transferFlag, fixture('heap-marks-moved.cjs'), how] });
      // Before, the mark stayed with the original, alive: the freed memory stayed marked and
      // fresh Buffer.allocs landed in it.
      expect(report).toMatchObject({ recordedWhileAlive: 1, detached: true, movedIntact: true, originalKept: true,
        recordedAfterCollect: 0, oldAddressMarked: false, freshInMergeablePages: 0 });
    });

  it('a mark holds its memory: Buffer.allocs made in the same turn as the collection, before any finalizer, are in no mergeable page', () => {
    for (let run = 0; run < 3; run++) { // before, 1 or 2 of 32 landed in the marked pages
      expect(runNodeJson('', { args: ['--expose-gc', fixture('heap-marks-moved.cjs'), 'same-turn'] }))
        .toEqual({ recordedWhileAlive: 1, freshInMergeablePages: 0 });
    }
  });

  it('a mark on a Buffer.alloc does not outlive it: of 32 fresh 16 KiB Buffer.allocs in its freed memory, none is in mergeable pages', () => {
    const report = runNodeJson<Record<string, number | boolean>>('', { args: ['--expose-gc', fixture('heap-marks.cjs')] });
    expect(report).toMatchObject({ recordedWhileAlive: 2, recordedAfterCollect: 1, freshInMergeablePages: 0, fresh: 32,
      keptStillMarked: true });
    expect(report.pages).toBeGreaterThanOrEqual(22);
  });
});
