import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { markMergeable, unmarkMergeable } from '../../lib/index.js';
import { readSmapsMappings } from '../helpers/proc.js';
import { linux } from '../helpers/platform.js';

const PAGE = PAGE_SIZE;
/** Mapping sizes that carry the `mg` VmFlag. */
function mergeableMappingSizes(): number[] {
  return readSmapsMappings().filter((mapping) => mapping.flags.includes('mg')).map((m) => m.bytes);
}

describe.skipIf(!linux)('which pages are advised', () => {
  it('returns pages: 0 for views too small to hold a whole page', () => {
    for (const view of [Buffer.alloc(0), Buffer.alloc(1), new Uint8Array(PAGE - 1), new DataView(new ArrayBuffer(100))]) {
      const result = markMergeable(view);
      expect(result.pages).toBe(0);
      expect(result.bytes).toBe(0);
      expect(result.start).toBe(result.end);
    }
  });

  it('advises exactly the whole pages inside the range, as offsets within the view', () => {
    const view = Buffer.alloc(64 * PAGE);
    const whole = markMergeable(view);
    // The first page boundary inside the view is at the same place whatever the range.
    const boundary = whole.start;
    expect(boundary).toBeGreaterThanOrEqual(0);
    expect(boundary).toBeLessThan(PAGE);
    expect(whole.end).toBe(boundary + Math.floor((view.length - boundary) / PAGE) * PAGE);
    expect(whole.bytes).toBe(whole.end - whole.start);
    expect(whole.pages * PAGE).toBe(whole.bytes);

    const part = markMergeable(view, { offset: boundary + 1, length: 3 * PAGE });
    expect(part).toEqual({ start: boundary + PAGE, end: boundary + 3 * PAGE, bytes: 2 * PAGE, pages: 2 });
    const exact = unmarkMergeable(view, { offset: boundary, length: 2 * PAGE });
    expect(exact).toEqual({ start: boundary, end: boundary + 2 * PAGE, bytes: 2 * PAGE, pages: 2 });
    // An offset alone runs to the end of the view.
    const tail = markMergeable(view, { offset: boundary + 10 * PAGE });
    expect(tail).toEqual({ start: boundary + 10 * PAGE, end: whole.end, bytes: whole.end - boundary - 10 * PAGE,
      pages: whole.pages - 10 });
  });

  it('accepts every kind of view and offsets within the view, not the buffer', () => {
    const buffer = new ArrayBuffer(64 * PAGE);
    const boundary = markMergeable(buffer).start;
    const kinds: (new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView)[] = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
      Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView];
    for (const Kind of kinds) {
      const view = new Kind(buffer, 64, 4 * PAGE);
      const result = markMergeable(view);
      expect(result.start).toBe((boundary - 64 + PAGE) % PAGE);
      expect(result.pages * PAGE).toBe(result.bytes);
      expect(result.end).toBeLessThanOrEqual(view.byteLength);
    }
  });
});

describe.skipIf(!linux)('marking memory (the mg VmFlag in /proc/self/smaps)', () => {
  it('sets mg on exactly the advised pages and clears it when unmarked', () => {
    // A size no other mapping of the process has, so its mapping can be told apart.
    const view = Buffer.alloc(1237 * PAGE);
    const count = (bytes: number) => mergeableMappingSizes().filter((size) => size === bytes).length;

    const range = { offset: PAGE, length: 1000 * PAGE };
    const before = count(1000 * PAGE);
    const marked = markMergeable(view, range);
    expect(marked.pages).toBe(999); // the buffer does not start on a page boundary
    expect(count(marked.bytes)).toBe(before + 1);

    const unmarked = unmarkMergeable(view, range);
    expect(unmarked).toEqual(marked);
    expect(count(marked.bytes)).toBe(before);
  });
});
