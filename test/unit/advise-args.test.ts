import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { KsmError, markMergeable, unmarkMergeable } from '../../lib/index.js';

const PAGE = PAGE_SIZE;
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
