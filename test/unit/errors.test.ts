// The error types and the errors of argument checks: shaped like Node's own (code, errno,
// syscall, path; ERR_INVALID_ARG_TYPE and ERR_OUT_OF_RANGE messages).
import type { KsmErrnoCode } from '../../lib/errors.js';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import util from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  abortError, invalidArgType, invalidArgValue, KsmError, KsmUnsupportedError, outOfRange, rangeErrorWithCode, toKsmError,
  type KsmErrorCode,
} from '../../lib/errors.js';

describe('KsmError and KsmUnsupportedError', () => {
  it('carry code, errno, syscall and path, and their own names', () => {
    const error = new KsmError('EINVAL: invalid argument, madvise', { code: 'EINVAL', errno: -22, syscall: 'madvise', path: '/x' });
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, message: error.message, code: error.code, errno: error.errno, syscall: error.syscall,
      path: error.path }).toEqual({ name: 'KsmError', message: 'EINVAL: invalid argument, madvise', code: 'EINVAL', errno: -22,
      syscall: 'madvise', path: '/x' });
    const bare = new KsmError('x', { code: 'ERR_KSM_SETTING_UNAVAILABLE' });
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
    const ksm = new KsmError('x', { code: 'EIO' });
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

// Exactly these codes: one added to or dropped from KsmErrorCode fails to compile here.
const EVERY_CODE = {
  ERR_KSM_UNSUPPORTED: 'own', ERR_KSM_SETTING_UNAVAILABLE: 'own', ERR_KSM_NOT_REGULAR_FILE: 'own',
  EACCES: 'errno', EAGAIN: 'errno', EBUSY: 'errno', EINTR: 'errno', EINVAL: 'errno', EIO: 'errno', EISDIR: 'errno',
  ELOOP: 'errno', EMFILE: 'errno', ENAMETOOLONG: 'errno', ENFILE: 'errno', ENODEV: 'errno', ENOENT: 'errno',
  ENOMEM: 'errno', ENOSPC: 'errno', ENOSYS: 'errno', ENOTDIR: 'errno', ENXIO: 'errno', EPERM: 'errno', EROFS: 'errno',
  ESRCH: 'errno', ETIMEDOUT: 'errno', UNKNOWN: 'unnamed',
} satisfies Record<'ERR_KSM_UNSUPPORTED' | 'ERR_KSM_SETTING_UNAVAILABLE' | 'ERR_KSM_NOT_REGULAR_FILE' | KsmErrnoCode,
  'own' | 'errno' | 'unnamed'>;

/** What a caller's switch looks like: the listed codes, then whatever else a file system said. */
function kindOf(code: KsmErrorCode): 'own' | 'errno' | 'unnamed' | 'other' {
  switch (code) {
    case 'ERR_KSM_UNSUPPORTED': case 'ERR_KSM_SETTING_UNAVAILABLE': case 'ERR_KSM_NOT_REGULAR_FILE': return 'own';
    case 'UNKNOWN': return 'unnamed';
    default: return Object.hasOwn(EVERY_CODE, code) ? EVERY_CODE[code as keyof typeof EVERY_CODE] : 'other';
  }
}

describe('KsmErrorCode', () => {
  it('names the codes node-ksm raises, and stays open to a code a file system passes through', () => {
    const passedThrough: KsmErrorCode = 'ENOTCONN'; // a dead FUSE mount: Node's name, carried as is
    expect(kindOf(passedThrough)).toBe('other');
    const error = new KsmError('x', { code: 'ENOENT' });
    const code: KsmErrorCode = error.code; // KsmError.code has the type too
    expect(kindOf(code)).toBe('errno');
  });

  it('names only errnos Node knows by those names', () => {
    for (const [code, kind] of Object.entries(EVERY_CODE)) {
      if (kind !== 'errno') continue;
      const errno = os.constants.errno[code as keyof typeof os.constants.errno];
      expect([code, typeof errno]).toEqual([code, 'number']);
      expect(util.getSystemErrorName(-errno)).toBe(code);
    }
  });
});

describe('KsmError.rollbackFailures', () => {
  it('is an own, enumerable, read-only property only when given', () => {
    const cause = new KsmError('EACCES: permission denied', { code: 'EACCES' });
    const failures = [{ setting: 'pagesToScan', value: 5000, previous: 100, error: cause }];
    const error = new KsmError('EBUSY: busy', { code: 'EBUSY', rollbackFailures: failures });
    expect(error.rollbackFailures).toBe(failures);
    expect(Object.keys(error)).toContain('rollbackFailures');
    expect(() => { (error as { rollbackFailures: unknown }).rollbackFailures = []; }).toThrow(TypeError);
    const plain = new KsmError('EBUSY: busy', { code: 'EBUSY' });
    expect(Object.hasOwn(plain, 'rollbackFailures')).toBe(false);
    expect(util.inspect(plain)).not.toContain('rollbackFailures');
  });
});

describe('abortError', () => {
  it('is shaped as Node\'s own AbortError: name, code, message, cause, own keys', async () => {
    const reason = new Error('no longer needed');
    const node = await sleep(1, undefined, { signal: AbortSignal.abort(reason) }).catch((e: Error) => e) as Error & { code: string };
    const ours = abortError(reason);
    const shape = (e: Error & { code: string }) => ({ name: e.name, code: e.code, message: e.message, cause: e.cause,
      keys: Object.keys(e), isError: e instanceof Error });
    expect(shape(ours)).toEqual(shape(node));
    expect(ours.cause).toBe(reason);
  });
});
