import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { externalBuffersAllowed, holdTrimming } from '../../lib/alloc.js';
import {
  allocMergeable, isMarkedMergeable, mergeableFrom, readFileMergeable, readFileMergeableAsync,
} from '../../lib/index.js';
import { addon, type AllocatorStats } from '../../lib/kernel/addon.js';
import { packageRoot, runNodeJson } from '../helpers/child.js';
import { collect, collectUntilLive, collectUntilSettled, liveBlocks } from '../helpers/gc.js';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { noProcessMerge } from '../helpers/kernel.js';
import { fixture } from '../helpers/paths.js';
import { underSanitizer } from '../helpers/proc.js';
import { linux } from '../helpers/platform.js';

const PAGE = PAGE_SIZE;
const address = (view: ArrayBufferView) => addon().pageSpan(view).address;

describe.skipIf(!linux)('allocMergeable', () => {
  it.each([1, 100, PAGE - 1, PAGE, PAGE + 1, 6 * 1024, 64 * PAGE, 64 * PAGE + 1, 3 * 1024 * 1024])(
    '%i bytes: page-aligned, zero-filled, marked mergeable', (size) => {
      const buffer = allocMergeable(size);
      expect(Buffer.isBuffer(buffer)).toBe(true);
      expect(buffer.length).toBe(size);
      expect(address(buffer) % PAGE).toBe(0);
      expect(buffer.equals(Buffer.alloc(size))).toBe(true);
      if (size >= PAGE) expect(isMarkedMergeable(buffer)).toBe(true);
      buffer.fill(0xab); // writable to the last byte
      expect(buffer[size - 1]).toBe(0xab);
    });

  it('fills like Buffer.alloc(size, fill, encoding)', () => {
    expect(allocMergeable(10, 'ab')).toEqual(Buffer.alloc(10, 'ab'));
    expect(allocMergeable(9, 'aGk=', 'base64')).toEqual(Buffer.alloc(9, 'aGk=', 'base64'));
    expect(allocMergeable(5000, 7)).toEqual(Buffer.alloc(5000, 7));
    expect(allocMergeable(3, Buffer.from([1, 2]))).toEqual(Buffer.from([1, 2, 1]));
  });

  it('gives a zero-length Buffer for size 0', () => {
    expect(allocMergeable(0).length).toBe(0);
  });

  it('hands back zeroed memory when a freed slot is reused', async () => {
    const keep = allocMergeable(PAGE); // keeps the arena, so freed slots are reused
    const seen = new Set<number>();
    let reused = 0;
    for (let round = 0; round < 20; round++) {
      const buffer = allocMergeable(PAGE);
      if (seen.has(address(buffer))) reused++;
      seen.add(address(buffer));
      expect(buffer.equals(Buffer.alloc(PAGE))).toBe(true);
      buffer.fill(round + 1);
      await collect(); // frees it before the next round
    }
    expect(reused).toBeGreaterThanOrEqual(10);
    expect(keep.length).toBe(PAGE);
  });

  it('never hands out memory that overlaps a live Buffer', () => {
    const sizes = [100, PAGE, 3 * PAGE, 64 * PAGE, 300 * PAGE];
    const buffers = Array.from({ length: 2000 }, (_, i) => allocMergeable(sizes[i % sizes.length]));
    const spans = buffers.map((b) => [address(b), address(b) + b.length]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });

  it.each([[-1, RangeError, 'ERR_OUT_OF_RANGE'], [1.5, RangeError, 'ERR_OUT_OF_RANGE'],
    [NaN, RangeError, 'ERR_OUT_OF_RANGE'], [2 ** 53, RangeError, 'ERR_OUT_OF_RANGE'],
    ['4096', TypeError, 'ERR_INVALID_ARG_TYPE'], [undefined, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [4096n, TypeError, 'ERR_INVALID_ARG_TYPE']] as const)('size %s throws %o', (size, type, code) => {
    expect(() => allocMergeable(size as never)).toThrow(type);
    expect(() => allocMergeable(size as never)).toThrow(expect.objectContaining({ code }));
  });

  it('reports that this runtime accepts external buffers', () => {
    allocMergeable(1);
    expect(externalBuffersAllowed()).toBe(true);
  });

  it('falls back to a marked plain Buffer where the runtime refuses external buffers', () => {
    // In a child: once refused, the answer is kept for the life of the process.
    const report = runNodeJson<Record<string, unknown>>(`
      const ksm = require('node-ksm');
      const { addon } = require('./dist/kernel/addon.js');
      const { externalBuffersAllowed } = require('./dist/alloc.js');
      let calls = 0;
      addon().allocate = () => { calls++; return null; };
      const buffers = [ksm.allocMergeable(8 * 4096, 1), ksm.allocMergeable(8 * 4096, 1)];
      const { start } = addon().pageSpan(buffers[0]);
      console.log(JSON.stringify({ length: buffers[0].length, filled: buffers[0].every((b) => b === 1),
        external: externalBuffersAllowed(), calls, interiorMarked: ksm.isMarkedMergeable(buffers[0].subarray(start, start + 6 * ${PAGE})),
        reported: ksm.capabilities().externalBuffers }));`);
    expect(report).toEqual({ length: 8 * PAGE, filled: true, external: false, calls: 1, interiorMarked: true, reported: false });
  });
});

describe.skipIf(!linux)('mergeableFrom', () => {
  it.each([
    ['a Buffer', Buffer.from('hello world')],
    ['a Uint16Array', new Uint16Array([1, 2, 65535])],
    ['a Float64Array view with an offset', new Float64Array(new ArrayBuffer(64), 8, 3).fill(1.5)],
    ['a DataView', new DataView(Uint8Array.from([9, 8, 7, 6]).buffer, 1, 2)],
    ['an ArrayBuffer', Uint8Array.from([1, 2, 3]).buffer],
    ['a SharedArrayBuffer (copied into private memory)', new SharedArrayBuffer(5)],
  ])('copies %s byte for byte into page-aligned memory', (_name, data) => {
    const bytes = ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data as ArrayBuffer);
    const copy = mergeableFrom(data);
    expect(copy.equals(bytes)).toBe(true);
    expect(address(copy) % PAGE).toBe(0);
  });

  it.each(['utf8', 'utf16le', 'ucs2', 'latin1', 'ascii', 'base64', 'base64url', 'hex'] as const)(
    'sizes and encodes a string in %s exactly as Buffer.from does', (encoding) => {
      const text = encoding === 'hex' ? 'deadbeef00ff' : encoding.startsWith('base64') ? 'aGVsbG8gd8O2cmxkIQ==' : 'héllo wörld, ✓';
      const copy = mergeableFrom(text, encoding);
      expect(copy.equals(Buffer.from(text, encoding))).toBe(true);
      expect(copy.length).toBe(Buffer.byteLength(text, encoding));
    });

  it('encodes strings (utf8 by default)', () => {
    expect(mergeableFrom('héllo').toString()).toBe('héllo');
    expect(mergeableFrom('68656c6c6f', 'hex').toString()).toBe('hello');
    expect(mergeableFrom('').length).toBe(0);
  });

  it('rejects other types and detached memory', () => {
    for (const value of [undefined, null, 5, {}, [1]]) {
      expect(() => mergeableFrom(value as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    const buffer = new ArrayBuffer(8);
    structuredClone(buffer, { transfer: [buffer] });
    expect(() => mergeableFrom(buffer)).toThrow(expect.objectContaining({ code: 'ERR_KSM_DETACHED_BUFFER' }));
  });
});

describe.skipIf(!linux)('readFileMergeable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-'));
  const file = path.join(dir, 'data.bin');
  const content = Buffer.alloc(3 * 1024 * 1024 + 123, 'node-ksm data ');
  fs.writeFileSync(file, content);

  it.each([['sync', readFileMergeable], ['async', readFileMergeableAsync]] as const)(
    '%s: the file\'s bytes in page-aligned, marked memory', async (_how, read) => {
      const data = await read(file);
      expect(data.equals(content)).toBe(true);
      expect(address(data) % PAGE).toBe(0);
      expect(isMarkedMergeable(data)).toBe(true);
    });

  it.each([['sync', readFileMergeable], ['async', readFileMergeableAsync]] as const)(
    '%s: files whose size the kernel does not report (/proc) and empty files', async (_how, read) => {
      expect((await read('/proc/self/status')).toString()).toMatch(/^Name:/);
      fs.writeFileSync(path.join(dir, 'empty'), '');
      expect((await read(path.join(dir, 'empty'))).length).toBe(0);
    });

  it('a missing file throws the file system\'s ENOENT, in both forms', async () => {
    expect(() => readFileMergeable(path.join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    await expect(readFileMergeableAsync(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => readFileMergeable(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

/** Bytes of this process's memory read through /proc/self/mem, past any JavaScript view. */
function readMemory(address: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  const fd = fs.openSync('/proc/self/mem', 'r');
  try {
    fs.readSync(fd, bytes, 0, length, address);
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

describe.skipIf(!linux)('reusing freed memory', () => {
  // A trim between a free and the next allocation would give the slot back clean: these tests
  // are about slots reused dirty, so the timer holds off (on a busy machine it may tick between).
  beforeAll(() => holdTrimming(true));
  afterAll(() => holdTrimming(false));
  it.each([['allocMergeable', (size: number) => allocMergeable(size)],
    ['mergeableFrom', (size: number) => mergeableFrom(Buffer.alloc(size, 7))]] as const)(
    '%s in a slot that held more: its last page reads zero past the end of the Buffer, where no view reaches', async (_how, make) => {
      await collectUntilSettled(); // what earlier tests left goes first, so that only `previous` is freed below
      const keep = allocMergeable(2 * PAGE); // keeps the arena of 2-page slots
      let previous: Buffer | undefined = allocMergeable(2 * PAGE, 0xee);
      const slot = address(previous);
      const live = liveBlocks();
      previous = undefined;
      await collectUntilLive(live - 1);
      const size = PAGE + 100;
      const reused = make(size);
      expect(address(reused)).toBe(slot);
      // Equal data must leave equal pages, and old bytes must not linger where KSM compares them.
      expect(readMemory(slot + size, 2 * PAGE - size).equals(Buffer.alloc(2 * PAGE - size))).toBe(true);
      expect(keep.length).toBe(2 * PAGE);
    });

  it('a slot whose users wrote more than the next one covers: copies see exactly their bytes, zeroed blocks only zeros', async () => {
    // Freed slots keep their bytes; each new user zeroes what it needs. Four-page slots: one
    // user writes all four pages, the next (a copy, unzeroed) covers three, the last (zeroed)
    // all four again: the old bytes past the copy's last page must not survive into it.
    await collectUntilSettled(); // what earlier tests left goes first, so that only `first` is freed below
    const keep = allocMergeable(4 * PAGE); // keeps the arena of 4-page slots
    let first: Buffer | undefined = allocMergeable(4 * PAGE, 0xee);
    const slot = address(first);
    const live = liveBlocks();
    first = undefined;
    await collectUntilLive(live - 1);
    const source = Buffer.alloc(2 * PAGE + 1, 0x11);
    let copy: Buffer | undefined = mergeableFrom(source);
    expect(address(copy)).toBe(slot);
    expect(copy.equals(source)).toBe(true);
    expect(readMemory(slot + source.length, 3 * PAGE - source.length).equals(Buffer.alloc(3 * PAGE - source.length))).toBe(true);
    const copyLive = liveBlocks();
    copy = undefined;
    await collectUntilLive(copyLive - 1);
    const zeroed = allocMergeable(4 * PAGE);
    expect(address(zeroed)).toBe(slot);
    expect(zeroed.every((byte) => byte === 0)).toBe(true);
    expect(keep.length).toBe(4 * PAGE);
  });

  it.each([100, PAGE, 6 * 1024, 64 * 1024, 1024 * 1024])(
    'buffers of %i bytes allocated into freed slots read as zero; copies hold exactly their data', async (size) => {
      expect(globalThis.gc).toBeTypeOf('function');
      await collectUntilSettled(); // earlier tests' Buffers freed first: freed slots are reused newest first
      const keep = allocMergeable(size); // keeps the arena mapped, so its freed slots are reused
      let used: Buffer[] | undefined = Array.from({ length: 64 }, () => allocMergeable(size, 0xee));
      const addresses = new Set(used.map(address));
      const live = liveBlocks();
      used = undefined;
      await collectUntilLive(live - 64);
      const fresh = Array.from({ length: 64 }, () => allocMergeable(size));
      expect(fresh.filter((b) => addresses.has(address(b))).length).toBeGreaterThan(0); // reuse happened
      for (const buffer of fresh) expect(buffer.every((byte) => byte === 0)).toBe(true);
      const template = Buffer.alloc(size, 'abc');
      for (const copy of Array.from({ length: 8 }, () => mergeableFrom(template))) expect(copy.equals(template)).toBe(true);
      expect(keep.length).toBe(size);
    });
});

describe.skipIf(!linux)('worker threads', () => {
  it('4 threads allocate, check and free concurrently from the shared arenas', async () => {
    const { Worker } = await import('node:worker_threads');
    const entry = path.join(packageRoot, 'dist', 'index.js');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const ksm = require(workerData.entry);
      (async () => {
        let wrong = 0;
        const zeros = Buffer.alloc(300000); // compared in C: a callback per byte would be most of the test's time
        for (let round = 0; round < 20; round++) {
          const sizes = [100, 4096, 6144, 65536, 300000];
          const buffers = Array.from({ length: 500 }, (_, i) => ksm.allocMergeable(sizes[i % 5]));
          for (const [i, b] of buffers.entries()) {
            if (!b.equals(zeros.subarray(0, b.length))) wrong++;
            b.fill(workerData.id + i);
          }
          for (const [i, b] of buffers.entries()) if (b[b.length - 1] !== ((workerData.id + i) & 255)) wrong++;
          await new Promise((resolve) => setImmediate(resolve));
        }
        parentPort.postMessage(wrong);
      })();`;
    const results = await Promise.all([1, 2, 3, 4].map((id) => new Promise<number>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { id, entry } });
      worker.once('message', (wrong: number) => { void worker.terminate(); resolve(wrong); });
      worker.once('error', reject);
    })));
    expect(results).toEqual([0, 0, 0, 0]);
  });
});

describe.skipIf(!linux)('allocator memory stays mergeable', () => {
  it.skipIf(underSanitizer('') || noProcessMerge)('after process-wide merge is turned off, which clears every mapping\'s mark (not under ' +
    `AddressSanitizer: turning it off walks all of its shadow memory)${noProcessMerge ? ` (${noProcessMerge})` : ''}`, async () => {
    const { enableProcessMerge, disableProcessMerge } = await import('../../lib/index.js');
    const small = allocMergeable(PAGE);
    const large = allocMergeable(4 * 1024 * 1024);
    enableProcessMerge();
    disableProcessMerge();
    expect(isMarkedMergeable(small)).toBe(true);
    expect(isMarkedMergeable(large)).toBe(true);
  });

  it('after a buffer its user unmarked is freed, the slot goes out marked again', async () => {
    const { unmarkMergeable } = await import('../../lib/index.js');
    holdTrimming(true); // a tick between the free and the reuse would hand the slot out clean, elsewhere in the order
    onTestFinished(() => holdTrimming(false));
    await collectUntilSettled(); // what earlier tests left goes first, so that only `unmarked` is freed below
    const keep = allocMergeable(PAGE);
    let unmarked: Buffer | undefined = allocMergeable(PAGE);
    unmarkMergeable(unmarked);
    expect(isMarkedMergeable(unmarked)).toBe(false);
    const addressOf = address(unmarked);
    unmarked = undefined;
    await collect();
    const reused = Array.from({ length: 64 }, () => allocMergeable(PAGE));
    const again = reused.find((b) => address(b) === addressOf);
    expect(again).toBeDefined();
    expect(isMarkedMergeable(again!)).toBe(true);
    expect(keep.length).toBe(PAGE);
  });
});

describe.skipIf(!linux)('the mapping count stays bounded', () => {
  it('100,000 live allocMergeable(4096) add at most 256 mappings, and all go back after GC', () => {
    const report = runNodeJson<{
      before: { maps: number; rss: number; marked: { maps: number; resident: number } }; live: { maps: number };
      after: { maps: number; rss: number; marked: { maps: number; resident: number }; allocator: AllocatorStats };
      rightLength: boolean; zeroFilled: boolean; pageAligned: boolean; marked: boolean;
    }>('', { args: ['--expose-gc', fixture('alloc-lifecycle.cjs'), '100000', '4096'] });
    expect(report).toMatchObject({ rightLength: true, zeroFilled: true, pageAligned: true, marked: true });
    expect(report.live.maps - report.before.maps).toBeLessThanOrEqual(256);
    expect(report.after.allocator).toMatchObject({ liveBlocks: 0, arenas: 0, keptBytes: 0 });
    // Every mergeable mapping (the allocator's) is gone, and what was resident in them: the
    // process's other mappings and RSS are V8's and malloc's, which give back on their own time.
    expect(report.after.marked.maps).toBeLessThanOrEqual(report.before.marked.maps);
    expect(report.after.marked.resident).toBeLessThanOrEqual(report.before.marked.resident);
  }, 120_000);
});

