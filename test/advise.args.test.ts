import { describe, expect, it } from 'vitest';
import { KsmError, markMergeable, unmarkMergeable } from '../lib/index.js';

const PAGE = 4096;

function expectError(fn: () => unknown, type: ErrorConstructor | typeof KsmError, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as { code?: string }).code).toBe(code);
}

describe.each([
  ['markMergeable', markMergeable],
  ['unmarkMergeable', unmarkMergeable],
] as const)('%s argument checks', (_name, advise) => {
  it.each([undefined, null, 42, 'text', {}, [1, 2], () => 1, Symbol('x'), 10n])(
    'rejects %s as the view with TypeError ERR_INVALID_ARG_TYPE', (value) => {
      expectError(() => advise(value as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    });

  it('rejects shared memory, which KSM would silently ignore', () => {
    const shared = new SharedArrayBuffer(4 * PAGE);
    expectError(() => advise(shared as never), TypeError, 'ERR_KSM_SHARED_MEMORY');
    expectError(() => advise(new Uint8Array(shared)), TypeError, 'ERR_KSM_SHARED_MEMORY');
  });

  it('rejects a detached ArrayBuffer and views of one', () => {
    const buffer = new ArrayBuffer(4 * PAGE);
    const view = new Uint32Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    expectError(() => advise(buffer), TypeError, 'ERR_KSM_DETACHED_BUFFER');
    expectError(() => advise(view), TypeError, 'ERR_KSM_DETACHED_BUFFER');
  });

  it.each([-1, 1.5, NaN, Infinity, 4 * PAGE + 1])('rejects offset %s with RangeError ERR_OUT_OF_RANGE', (offset) => {
    expectError(() => advise(Buffer.alloc(4 * PAGE), { offset }), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it.each([-1, 0.25, NaN, -Infinity, 4 * PAGE + 1])('rejects length %s with RangeError ERR_OUT_OF_RANGE', (length) => {
    expectError(() => advise(Buffer.alloc(4 * PAGE), { length }), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it('rejects a range that runs past the end of the view', () => {
    expectError(() => advise(Buffer.alloc(4 * PAGE), { offset: PAGE, length: 3 * PAGE + 1 }),
      RangeError, 'ERR_OUT_OF_RANGE');
  });

  it.each([['1', 'offset'], [null, 'offset'], ['4096', 'length'], [true, 'length']])(
    'rejects %s as %s with TypeError ERR_INVALID_ARG_TYPE', (value, name) => {
      expectError(() => advise(Buffer.alloc(PAGE), { [name]: value } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    });

  it.each([null, 5, 'offset'])('rejects options %s with TypeError ERR_INVALID_ARG_TYPE', (options) => {
    expectError(() => advise(Buffer.alloc(PAGE), options as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('names the argument in its messages, as Node does', () => {
    expect(() => advise('x' as never)).toThrow(/^The "view" argument must be an instance of ArrayBuffer/);
    expect(() => advise(Buffer.alloc(8), { offset: 9 }))
      .toThrow('The value of "offset" is out of range. It must be an integer >= 0 && <= 8. Received 9');
  });
});

describe.skipIf(process.platform !== 'linux')('which pages are advised', () => {
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
