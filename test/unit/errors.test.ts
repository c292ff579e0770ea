// The error types and the errors of argument checks: shaped like Node's own (code, errno,
// syscall, path; ERR_INVALID_ARG_TYPE and ERR_OUT_OF_RANGE messages).
import { describe, expect, it } from 'vitest';
import {
  invalidArgType, invalidArgValue, KsmError, KsmUnsupportedError, outOfRange, rangeErrorWithCode, toKsmError,
} from '../../lib/errors.js';

describe('KsmError and KsmUnsupportedError', () => {
  it('carry code, errno, syscall and path, and their own names', () => {
    const error = new KsmError('EINVAL: invalid argument, madvise', { code: 'EINVAL', errno: -22, syscall: 'madvise', path: '/x' });
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, message: error.message, code: error.code, errno: error.errno, syscall: error.syscall,
      path: error.path }).toEqual({ name: 'KsmError', message: 'EINVAL: invalid argument, madvise', code: 'EINVAL', errno: -22,
      syscall: 'madvise', path: '/x' });
    const bare = new KsmError('x', { code: 'ERR_X' });
    expect([bare.errno, bare.syscall, bare.path]).toEqual([undefined, undefined, undefined]);
  });

  it('KsmUnsupportedError lists its reasons in its message, with one code', () => {
    const error = new KsmUnsupportedError(['no addon', 'no kernel']);
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ name: 'KsmUnsupportedError', code: 'ERR_KSM_UNSUPPORTED', reasons: ['no addon', 'no kernel'],
      message: 'KSM is not available: no addon; no kernel' });
  });
});

describe('toKsmError', () => {
  const systemError = (fields: Record<string, unknown>) => Object.assign(new Error(fields.message as string), fields);

  it('turns a system error into a KsmError with the same message, code, errno, syscall and path', () => {
    const converted = toKsmError(systemError({ message: "ENOENT: no such file or directory, open '/x'", code: 'ENOENT',
      errno: -2, syscall: 'open', path: '/x' })) as KsmError;
    expect(converted).toBeInstanceOf(KsmError);
    expect(converted).toMatchObject({ message: "ENOENT: no such file or directory, open '/x'", code: 'ENOENT', errno: -2,
      syscall: 'open', path: '/x' });
  });

  it('names the file a write error leaves out, once', () => {
    const converted = toKsmError(systemError({ message: 'EBUSY: resource busy or locked, write', code: 'EBUSY', errno: -16,
      syscall: 'write' }), '/sys/kernel/mm/ksm/max_page_sharing') as KsmError;
    expect(converted.message).toBe("EBUSY: resource busy or locked, write '/sys/kernel/mm/ksm/max_page_sharing'");
    expect(converted.path).toBe('/sys/kernel/mm/ksm/max_page_sharing');
    const named = toKsmError(systemError({ message: "EACCES: open '/a'", code: 'EACCES', syscall: 'open', path: '/a' }), '/b') as KsmError;
    expect([named.message, named.path]).toEqual(["EACCES: open '/a'", '/a']);
  });

  it('passes anything else through unchanged: KsmErrors, TypeErrors, errors without a syscall, non-errors', () => {
    const ksm = new KsmError('x', { code: 'X' });
    const type = new TypeError('bad');
    const noSyscall = systemError({ message: 'x', code: 'E' });
    const wrongCode = systemError({ message: 'x', code: 5, syscall: 'open' });
    for (const value of [ksm, type, noSyscall, wrongCode, 'text', undefined]) expect(toKsmError(value)).toBe(value);
  });
});

describe('argument errors, as Node words them', () => {
  it.each([
    [undefined, 'Received undefined'], [null, 'Received null'], [() => 1, 'Received function <anonymous>'],
    [function named() {}, 'Received function named'], [new Map(), 'Received an instance of Map'],
    [Object.create(null), 'Received [Object: null prototype] {}'], [42, 'Received type number (42)'],
    ['a'.repeat(40), `Received type string ('${'a'.repeat(25)}`], [10n, 'Received type bigint (10n)'],
  ])('ERR_INVALID_ARG_TYPE describes %s', (value, described) => {
    const error = invalidArgType('size', 'of type number', value);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(error.message.startsWith(`The "size" argument must be of type number. ${described}`)).toBe(true);
    expect(Object.keys(error)).toContain('code'); // enumerable, as Node's are
  });

  it('ERR_OUT_OF_RANGE, and errors with a code of their own', () => {
    expect(outOfRange('length', '>= 0', -1)).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE',
      message: 'The value of "length" is out of range. It must be >= 0. Received -1' });
    expect(outOfRange('x', '>= 0', 'y').message).toBe("The value of \"x\" is out of range. It must be >= 0. Received 'y'");
    expect(rangeErrorWithCode('too large', 'ERR_FS_FILE_TOO_LARGE')).toMatchObject({ name: 'RangeError', code: 'ERR_FS_FILE_TOO_LARGE', message: 'too large' });
    expect(invalidArgValue('detached', 'ERR_KSM_DETACHED_BUFFER')).toMatchObject({ name: 'TypeError', code: 'ERR_KSM_DETACHED_BUFFER', message: 'detached' });
  });
});
