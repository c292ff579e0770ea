// areMarkedMergeable: isMarkedMergeable's answer for many views, from one read of
// /proc/self/smaps (counted where every /proc read goes through: node:fs's openSync).
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  allocMergeable, areMarkedMergeable, isMarkedMergeable, markMergeable, type MemoryLike,
} from '../../lib/index.js';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { linux } from '../helpers/platform.js';

const PAGE = PAGE_SIZE;

/** Counts opens of /proc/self/smaps while `call` runs. */
function smapsOpens<T>(call: () => T): { result: T; opens: number } {
  const spy = vi.spyOn(fs, 'openSync');
  try {
    const result = call();
    return { result, opens: spy.mock.calls.filter(([path]) => String(path) === '/proc/self/smaps').length };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!linux)('areMarkedMergeable', () => {
  // Views of every kind of answer: marked, unmarked, partly marked, no whole page, and the same
  // memory seen through other views, in no particular address order.
  const marked = allocMergeable(8 * PAGE);
  const unmarked = Buffer.alloc(16 * PAGE); // heap memory nobody marked (large: its own mapping)
  const half = Buffer.alloc(32 * PAGE);
  const advised = markMergeable(half, { offset: 0, length: 16 * PAGE }); // the first half's whole pages only
  const views: MemoryLike[] = [
    unmarked,
    marked,
    half.subarray(advised.start, advised.end), // exactly the marked part
    half, // marked and unmarked pages
    half.subarray(advised.end), // the unmarked part
    new Uint8Array(10), // no whole page
    marked.subarray(1, 3 * PAGE - 1), // one whole page inside
    new DataView(marked.buffer, PAGE, 2 * PAGE),
    marked.buffer as ArrayBuffer,
    new Float64Array(allocMergeable(4 * PAGE).buffer),
    allocMergeable(PAGE - 1), // a partial page: none whole
    marked, // twice
  ];

  it('answers for each view exactly what isMarkedMergeable says, in order', () => {
    const one = views.map((view) => isMarkedMergeable(view));
    // The test needs both answers among its views to mean anything.
    expect(one).toEqual([false, true, true, false, false, false, true, true, true, true, false, true]);
    expect(areMarkedMergeable(views)).toEqual(one);
    expect(areMarkedMergeable([...views].reverse())).toEqual([...one].reverse());
  });

  it('reads smaps once for all the views, where one by one reads it once per view', () => {
    const many = smapsOpens(() => areMarkedMergeable(views));
    expect(many.opens).toBe(1);
    const single = smapsOpens(() => views.map((view) => isMarkedMergeable(view)));
    // Views with no whole page need no read.
    expect(single.opens).toBe(views.length - 2);
    expect(many.result).toEqual(single.result);
  });

  it('gives [] for no views, and false for views without a whole page, reading nothing', () => {
    expect(smapsOpens(() => areMarkedMergeable([]))).toEqual({ result: [], opens: 0 });
    expect(smapsOpens(() => areMarkedMergeable([new Uint8Array(1), Buffer.alloc(0)]))).toEqual({ result: [false, false], opens: 0 });
  });

  it.each([
    [undefined, 'ERR_INVALID_ARG_TYPE', /^The "views" argument must be an instance of Array/],
    [marked, 'ERR_INVALID_ARG_TYPE', /^The "views" argument must be an instance of Array/],
    [{ length: 1, 0: marked }, 'ERR_INVALID_ARG_TYPE', /^The "views" argument/],
    [[marked, 'text'], 'ERR_INVALID_ARG_TYPE', /^The "views\[1\]" argument must be/],
    [[marked, new Uint8Array(new SharedArrayBuffer(PAGE * 2))], 'ERR_KSM_SHARED_MEMORY', /^The "views\[1\]" argument/],
  ])('refuses %o with %s, before reading anything', (value, code, message) => {
    const { result, opens } = smapsOpens(() => {
      try {
        return areMarkedMergeable(value as never);
      } catch (error) {
        return error;
      }
    });
    expect(result).toBeInstanceOf(TypeError);
    expect(result).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(opens).toBe(0);
  });
});
