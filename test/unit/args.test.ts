// Every argument check, called directly: the type, the range, the error class, code and message
// that name the argument, as Node's own checks do.
import { constants } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  isDetached, resolveByteRange, throwIfAborted, validateAdvisorMode, validateBoolean, validateEncoding, validateFill,
  validateFlag, validateFromData, validateFunction, validateInteger, validateInterval, validateMemory, validateMemoryList,
  validateMetricsOptions, validateObject, validateOptions, validatePath, validatePid, validateRatio, validateRegistry,
  validateRunState, validateSharingLimit, validateSignal, validateSize, validateTimeout, validateWholePages,
} from '../../lib/args.js';

const MAX_LENGTH = constants.MAX_LENGTH;

/** What `fn` threw: its class, code and message. */
function thrown(fn: () => unknown): { type: string; code: unknown; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    const e = error as Error & { code?: unknown };
    return { type: e.constructor.name, code: e.code, message: e.message };
  }
}

describe('memory', () => {
  it('a detached ArrayBuffer is detached; an empty or full one is not', () => {
    const moved = new ArrayBuffer(8);
    structuredClone(moved, { transfer: [moved] });
    expect(isDetached(moved)).toBe(true);
    expect(isDetached(new ArrayBuffer(0))).toBe(false);
    expect(isDetached(new ArrayBuffer(8))).toBe(false);
  });

  it('accepts ArrayBuffers and every view, empty ones included, and shared memory only when allowed', () => {
    for (const value of [new ArrayBuffer(4), new ArrayBuffer(0), Buffer.alloc(4), new Uint16Array(2), new DataView(new ArrayBuffer(2))]) {
      expect(thrown(() => validateMemory(value, 'view'))).toBeUndefined();
    }
    expect(thrown(() => validateMemory(new SharedArrayBuffer(4), 'view', { allowShared: true }))).toBeUndefined();
    expect(thrown(() => validateMemory(new Uint8Array(new SharedArrayBuffer(4)), 'data'))).toMatchObject({
      type: 'TypeError', code: 'ERR_KSM_SHARED_MEMORY', message: expect.stringMatching(/^The "data" argument is backed by a SharedArrayBuffer/) });
  });

  it('names the argument and what it received when the type is wrong, and says when memory is detached', () => {
    expect(thrown(() => validateMemory('text', 'view'))).toEqual({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "view" argument must be an instance of ArrayBuffer, Buffer, TypedArray or DataView. Received type string (\'text\')' });
    const moved = new ArrayBuffer(8);
    const view = new Uint8Array(moved);
    structuredClone(moved, { transfer: [moved] });
    expect(thrown(() => validateMemory(view, 'view'))).toMatchObject({ type: 'TypeError', code: 'ERR_KSM_DETACHED_BUFFER',
      message: expect.stringMatching(/^The "view" argument's ArrayBuffer is detached/) });
  });
});

describe('numbers', () => {
  it('an integer in [min, max], the bounds included', () => {
    for (const value of [0, 5, 10]) expect(thrown(() => validateInteger(value, 'n', 0, 10))).toBeUndefined();
    for (const value of [-1, 11, 1.5, NaN, Infinity]) {
      expect(thrown(() => validateInteger(value, 'n', 0, 10))).toEqual({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
        message: `The value of "n" is out of range. It must be an integer >= 0 && <= 10. Received ${String(value)}` });
    }
    expect(thrown(() => validateInteger('5', 'n', 0, 10))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: expect.stringMatching(/^The "n" argument must be of type number\. Received type string/) });
  });

  it('sizes from 0 to buffer.constants.MAX_LENGTH', () => {
    expect(thrown(() => validateSize(0))).toBeUndefined();
    expect(thrown(() => validateSize(MAX_LENGTH))).toBeUndefined();
    expect(thrown(() => validateSize(MAX_LENGTH + 1))).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"size"') });
    expect(thrown(() => validateSize(4096n))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it("pids: 'self' or 1 .. 2^31 - 1", () => {
    for (const pid of ['self', 1, 2 ** 31 - 1]) expect(thrown(() => validatePid(pid))).toBeUndefined();
    expect(thrown(() => validatePid(0))).toMatchObject({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(thrown(() => validatePid(2 ** 31))).toMatchObject({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(thrown(() => validatePid('1'))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: expect.stringMatching(/^The "pid" argument must be a number or 'self'/) });
  });

  it('timeouts: the fallback when undefined, >= 0, Infinity allowed', () => {
    expect(validateTimeout(undefined, 60_000)).toBe(60_000);
    expect(validateTimeout(0, 1)).toBe(0);
    expect(validateTimeout(Infinity, 1)).toBe(Infinity);
    expect(thrown(() => validateTimeout(-1, 1))).toEqual({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
      message: 'The value of "timeout" is out of range. It must be >= 0 (milliseconds), or Infinity. Received -1' });
    expect(thrown(() => validateTimeout(NaN, 1))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(thrown(() => validateTimeout('1', 1))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('intervals: the fallback when undefined, 10 .. 2^31 - 1 ms', () => {
    expect(validateInterval(undefined, 1000)).toBe(1000);
    expect(validateInterval(10, 1)).toBe(10);
    expect(validateInterval(2 ** 31 - 1, 1)).toBe(2 ** 31 - 1);
    for (const value of [9, 2 ** 31, NaN]) {
      expect(thrown(() => validateInterval(value, 1))).toMatchObject({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
        message: expect.stringContaining('>= 10 && <= 2147483647 (milliseconds)') });
    }
    expect(thrown(() => validateInterval('10', 1))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('ratios: the fallback when undefined, in (0, 1]', () => {
    expect(validateRatio(undefined, 'minRatio', 0.99)).toBe(0.99);
    expect(validateRatio(1, 'minRatio', 0.5)).toBe(1);
    expect(validateRatio(0.001, 'minRatio', 0.5)).toBe(0.001);
    for (const value of [0, 1.01, -1, NaN]) {
      expect(thrown(() => validateRatio(value, 'minRatio', 0.5))).toMatchObject({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
        message: expect.stringContaining('"minRatio" is out of range. It must be > 0 && <= 1') });
    }
    expect(thrown(() => validateRatio('1', 'minRatio', 0.5))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('options, ranges, encodings, fills and signals', () => {
  it('options: undefined or a plain object', () => {
    expect(validateOptions(undefined)).toEqual({});
    expect(validateOptions({ a: 1 })).toEqual({ a: 1 });
    for (const value of [null, 5, 'x', [1]]) {
      expect(thrown(() => validateOptions(value, 'settings'))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(/^The "settings" argument must be of type object/) });
    }
  });

  it('a required object: like options, but undefined is refused too', () => {
    expect(validateObject({ a: 1 }, 'changes')).toEqual({ a: 1 });
    for (const value of [undefined, null, 5, 'x', [1]]) {
      expect(thrown(() => validateObject(value, 'changes'))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(/^The "changes" argument must be of type object/) });
    }
  });

  it('a list of memory: an array whose every element is memory, the bad one named by its index', () => {
    expect(thrown(() => validateMemoryList([], 'views'))).toBeUndefined();
    expect(thrown(() => validateMemoryList([new Uint8Array(8), new ArrayBuffer(8), new DataView(new ArrayBuffer(8))], 'views')))
      .toBeUndefined();
    for (const value of [undefined, new Uint8Array(8), { length: 0 }, 'ab']) {
      expect(thrown(() => validateMemoryList(value, 'views'))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(/^The "views" argument must be an instance of Array/) });
    }
    expect(thrown(() => validateMemoryList([new Uint8Array(8), 5], 'views'))).toMatchObject({ type: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^The "views\[1\]" argument must be an instance of ArrayBuffer/) });
    expect(thrown(() => validateMemoryList([new Uint8Array(8), new Uint8Array(8), new SharedArrayBuffer(8)], 'views')))
      .toMatchObject({ code: 'ERR_KSM_SHARED_MEMORY', message: expect.stringMatching(/^The "views\[2\]" argument/) });
  });

  it('a byte range: offset defaults to 0, length to the rest, both within the view', () => {
    expect(resolveByteRange({}, 100)).toEqual({ offset: 0, length: 100 });
    expect(resolveByteRange({ offset: 30 }, 100)).toEqual({ offset: 30, length: 70 });
    expect(resolveByteRange({ offset: 30, length: 70 }, 100)).toEqual({ offset: 30, length: 70 });
    expect(resolveByteRange({ offset: 100 }, 100)).toEqual({ offset: 100, length: 0 });
    expect(thrown(() => resolveByteRange({ offset: 101 }, 100))).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"offset"') });
    expect(thrown(() => resolveByteRange({ offset: 30, length: 71 }, 100))).toMatchObject({ code: 'ERR_OUT_OF_RANGE',
      message: expect.stringContaining('"length" is out of range. It must be an integer >= 0 && <= 70') });
  });

  it('encodings: undefined or one Buffer knows', () => {
    for (const value of [undefined, 'utf8', 'hex', 'base64url', 'latin1']) expect(thrown(() => validateEncoding(value))).toBeUndefined();
    expect(thrown(() => validateEncoding('utf9'))).toEqual({ type: 'TypeError', code: 'ERR_UNKNOWN_ENCODING', message: 'Unknown encoding: utf9' });
    expect(thrown(() => validateEncoding(8))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: expect.stringMatching(/^The "encoding" argument must be of type string/) });
  });

  it('fills: undefined, a string, a number or bytes', () => {
    for (const value of [undefined, 'ab', 7, Buffer.from([1]), new Uint8Array(1)]) expect(thrown(() => validateFill(value))).toBeUndefined();
    for (const value of [null, {}, 1n, Symbol('x')]) {
      expect(thrown(() => validateFill(value))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(/^The "fill" argument must be of type string or number, or an instance of Buffer or Uint8Array/) });
    }
  });

  it('signals: undefined or an AbortSignal', () => {
    const signal = new AbortController().signal;
    expect(validateSignal(undefined)).toBeUndefined();
    expect(validateSignal(signal)).toBe(signal);
    expect(thrown(() => validateSignal({ aborted: false }))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: expect.stringMatching(/^The "signal" argument must be an instance of AbortSignal/) });
  });
});

describe("estimate's, mergeableFrom's, the reads' and waitForMerge's own checks", () => {
  it('booleans and callbacks: undefined or their type', () => {
    for (const value of [undefined, true, false]) expect(thrown(() => validateBoolean(value, 'options.self'))).toBeUndefined();
    for (const value of [0, 1, 'true', null]) {
      expect(thrown(() => validateBoolean(value, 'options.self'))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(/^The "options.self" argument must be of type boolean\. Received/) });
    }
    for (const value of [undefined, () => {}]) expect(thrown(() => validateFunction(value, 'options.onProgress'))).toBeUndefined();
    for (const value of [null, 'log', {}]) {
      expect(thrown(() => validateFunction(value, 'options.onProgress'))).toMatchObject({ type: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^The "options.onProgress" argument must be of type function\. /) });
    }
  });

  it('a sharing limit: undefined, an integer >= 2, or Infinity', () => {
    for (const value of [undefined, 2, 256, Infinity]) expect(thrown(() => validateSharingLimit(value, 'limit'))).toBeUndefined();
    for (const value of [1, 0, -Infinity, 2.5, NaN]) {
      expect(thrown(() => validateSharingLimit(value, 'limit'))).toEqual({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
        message: `The value of "limit" is out of range. It must be an integer >= 2, or Infinity. Received ${String(value)}` });
    }
    expect(thrown(() => validateSharingLimit('256', 'limit'))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: expect.stringMatching(/^The "limit" argument must be of type number\. /) });
  });

  it('data to copy: a string or any memory, shared included', () => {
    for (const value of ['', 'ab', Buffer.alloc(1), new ArrayBuffer(0), new SharedArrayBuffer(4), new DataView(new ArrayBuffer(1))]) {
      expect(thrown(() => validateFromData(value))).toBeUndefined();
    }
    for (const value of [undefined, 5, {}, [1]]) {
      expect(thrown(() => validateFromData(value))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(/^The "data" argument must be of type string or an instance of Buffer, TypedArray, DataView, ArrayBuffer or SharedArrayBuffer\. /) });
    }
    const moved = new ArrayBuffer(8);
    structuredClone(moved, { transfer: [moved] });
    expect(thrown(() => validateFromData(moved))).toMatchObject({ code: 'ERR_KSM_DETACHED_BUFFER',
      message: expect.stringMatching(/^The "data" argument's/) });
  });

  it('a path given as bytes must still have them', () => {
    const moved = new ArrayBuffer(8);
    const bytes = new Uint8Array(moved);
    structuredClone(moved, { transfer: [moved] });
    expect(thrown(() => validatePath(bytes))).toEqual({ type: 'TypeError', code: 'ERR_KSM_DETACHED_BUFFER',
      message: 'The "path" argument\'s ArrayBuffer is detached' });
    for (const path of ['a', new Uint8Array(0), Buffer.from('a'), new URL('file:///a')]) expect(thrown(() => validatePath(path))).toBeUndefined();
  });

  it('a view to wait for holds a whole page', () => {
    expect(thrown(() => validateWholePages(1, 4096))).toBeUndefined();
    expect(thrown(() => validateWholePages(0, 10))).toEqual({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
      message: "The value of \"view\" is out of range. It must be a view holding at least one whole page. Received '10 bytes with none'" });
  });

  it('an aborted signal throws an AbortError whose cause is the reason; otherwise nothing', () => {
    expect(thrown(() => throwIfAborted(undefined))).toBeUndefined();
    expect(thrown(() => throwIfAborted(new AbortController().signal))).toBeUndefined();
    const reason = new Error('why');
    let error: unknown;
    try {
      throwIfAborted(AbortSignal.abort(reason));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted', cause: reason });
  });
});

describe("ksmd's settings", () => {
  it('a flag: a boolean or 0 or 1, as 0 or 1', () => {
    expect([true, false, 1, 0].map((value) => validateFlag(value, 'smartScan'))).toEqual([1, 0, 1, 0]);
    for (const value of [2, -1, 0.5]) {
      expect(thrown(() => validateFlag(value, 'smartScan'))).toMatchObject({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
        message: expect.stringContaining('"smartScan" is out of range. It must be an integer >= 0 && <= 1') });
    }
    for (const value of ['1', null]) {
      expect(thrown(() => validateFlag(value, 'smartScan'))).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(/^The "smartScan" argument must be of type boolean or the number 0 or 1\. /) });
    }
  });

  it("the advisor's mode: 'none' or 'scan-time'", () => {
    expect(validateAdvisorMode('none', 'advisorMode')).toBe('none');
    expect(validateAdvisorMode('scan-time', 'advisorMode')).toBe('scan-time');
    expect(thrown(() => validateAdvisorMode('auto', 'advisorMode'))).toEqual({ type: 'TypeError', code: 'ERR_INVALID_ARG_VALUE',
      message: "The \"advisorMode\" setting must be 'none' or 'scan-time'. Received 'auto'" });
    expect(thrown(() => validateAdvisorMode(1, 'advisorMode'))).toEqual({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: "The \"advisorMode\" argument must be 'none' or 'scan-time'. Received type number (1)" });
  });

  it('a run state: undefined, 0, 1 or 2', () => {
    for (const run of [undefined, 0, 1, 2]) expect(thrown(() => validateRunState(run))).toBeUndefined();
    for (const run of [3, -1, '1', true]) {
      expect(thrown(() => validateRunState(run))).toMatchObject({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE',
        message: expect.stringMatching(/^The value of "run" is out of range\. It must be 0, 1 or 2\. Received /) });
    }
  });
});

describe('metrics options', () => {
  const typeError = (code: string, message?: RegExp) => expect.objectContaining({ name: 'TypeError', code, ...(message ? { message: expect.stringMatching(message) } : {}) });

  it('defaults to the ksm_ prefix and no labels; keeps what is valid, the empty prefix included', () => {
    expect(validateMetricsOptions(undefined)).toEqual({ prefix: 'ksm_', labels: {} });
    expect(validateMetricsOptions({})).toEqual({ prefix: 'ksm_', labels: {} });
    expect(validateMetricsOptions({ prefix: '' })).toEqual({ prefix: '', labels: {} });
    expect(validateMetricsOptions({ prefix: 'app:ksm_2', labels: { service: 'api', _zone: 'b', Z9: '' } }))
      .toEqual({ prefix: 'app:ksm_2', labels: { service: 'api', _zone: 'b', Z9: '' } });
  });

  it('returns a copy of the labels: a later change to the caller\'s object changes nothing', () => {
    const labels = { service: 'api' };
    const checked = validateMetricsOptions({ labels });
    labels.service = 'other';
    expect(checked.labels).toEqual({ service: 'api' });
  });

  it.each([
    [{ prefix: 'ksm-' }, 'ERR_INVALID_ARG_VALUE', /"options.prefix" must start a valid Prometheus metric name .* Received "ksm-"/],
    [{ prefix: '1ksm' }, 'ERR_INVALID_ARG_VALUE', /"options.prefix"/],
    [{ prefix: 5 }, 'ERR_INVALID_ARG_TYPE', /"options.prefix" argument must be of type string/],
    [{ labels: { 'bad-name': 'x' } }, 'ERR_INVALID_ARG_VALUE', /label name "bad-name" in "options.labels"/],
    [{ labels: { '9lives': 'x' } }, 'ERR_INVALID_ARG_VALUE', /"9lives"/],
    [{ labels: { __name__: 'x' } }, 'ERR_INVALID_ARG_VALUE', /"__name__"/],
    [{ labels: { reason: 'x' } }, 'ERR_INVALID_ARG_VALUE', /"reason"/],
    [{ labels: { service: 1 } }, 'ERR_INVALID_ARG_TYPE', /"options.labels.service" argument must be of type string/],
    [{ labels: 'service=api' }, 'ERR_INVALID_ARG_TYPE', /"options.labels"/],
    ['ksm_', 'ERR_INVALID_ARG_TYPE', /"options" argument/],
  ])('refuses %j with %s', (options, code, message) => {
    expect(() => validateMetricsOptions(options)).toThrow(typeError(code, message));
  });

  it('a registry is anything with registerMetric, or undefined', () => {
    expect(() => validateRegistry(undefined)).not.toThrow();
    expect(() => validateRegistry({ registerMetric() {} })).not.toThrow();
    for (const bad of [null, {}, { registerMetric: 1 }, 'registry']) {
      expect(() => validateRegistry(bad)).toThrow(typeError('ERR_INVALID_ARG_TYPE', /"registry" argument must be a prom-client Registry/));
    }
  });
});
