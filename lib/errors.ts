import { inspect } from 'node:util';

/** The errno names a KsmError can carry: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmerrorcode-ksmerrnocode */
export type KsmErrnoCode =
  | 'EACCES' | 'EAGAIN' | 'EBUSY' | 'EINTR' | 'EINVAL' | 'EIO' | 'EISDIR' | 'ELOOP' | 'EMFILE' | 'ENAMETOOLONG'
  | 'ENFILE' | 'ENODEV' | 'ENOENT' | 'ENOMEM' | 'ENOSPC' | 'ENOSYS' | 'ENOTDIR' | 'ENXIO' | 'EPERM' | 'EROFS'
  | 'ESRCH' | 'ETIMEDOUT' | 'UNKNOWN';

/** The code a KsmError carries: an ERR_KSM_* code or an errno name: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmerrorcode-ksmerrnocode */
export type KsmErrorCode =
  | 'ERR_KSM_UNSUPPORTED' | 'ERR_KSM_SETTING_UNAVAILABLE' | 'ERR_KSM_NOT_REGULAR_FILE' | KsmErrnoCode
  // Any other string, written so that editors still offer the names above.
  | (string & {});

/** A ksmd setting a failed configure() or override() could not put back: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdrollbackfailure */
export interface KsmdRollbackFailure {
  setting: string;
  value: number | string;
  previous: number | string;
  error: Error;
}

/** What new KsmError(message, details) takes: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmerrordetails */
export interface KsmErrorDetails {
  code: KsmErrorCode;
  errno?: number;
  syscall?: string;
  path?: string;
  rollbackFailures?: readonly KsmdRollbackFailure[];
}

/** Every failure of a KSM operation: branch on its code: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmerror */
export class KsmError extends Error {
  readonly code: KsmErrorCode;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  declare readonly rollbackFailures?: readonly KsmdRollbackFailure[];

  constructor(message: string, details: KsmErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.code = details.code;
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.path = details.path;
    if (details.rollbackFailures !== undefined) {
      Object.defineProperty(this, 'rollbackFailures', { value: details.rollbackFailures, enumerable: true });
    }
  }
}

/** KSM cannot be used from this process at all: its reasons say why: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmunsupportederror */
export class KsmUnsupportedError extends KsmError {
  readonly reasons: readonly string[];

  constructor(reasons: readonly string[]) {
    super(`KSM is not available: ${reasons.join('; ')}`, { code: 'ERR_KSM_UNSUPPORTED' });
    this.reasons = reasons;
  }
}

interface SystemErrorLike {
  message: string;
  code: KsmErrorCode; // as Node and the addon name an errno
  errno?: number;
  syscall?: string;
  path?: string;
}

function isSystemError(error: unknown): error is SystemErrorLike {
  return error instanceof Error && typeof (error as Partial<SystemErrorLike>).code === 'string' &&
    typeof (error as Partial<SystemErrorLike>).syscall === 'string';
}

/**
 * Turns a system error thrown by the addon or by node:fs into a KsmError with the same
 * message, code, errno and syscall; `path` names the file when the error does not (node:fs
 * leaves it out of write errors). Anything else (TypeError, RangeError) passes unchanged.
 */
export function toKsmError(error: unknown, path?: string): unknown {
  if (error instanceof KsmError || !isSystemError(error)) return error;
  const file = error.path ?? path;
  return new KsmError(error.path === undefined && file !== undefined ? `${error.message} '${file}'` : error.message, {
    code: error.code,
    errno: error.errno,
    syscall: error.syscall,
    path: file,
  });
}

type CodedError<E extends Error> = E & { code: string };

function withCode<E extends Error>(error: E, code: string): CodedError<E> {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as CodedError<E>;
}

function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`;
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `Received an instance of ${name}` : `Received ${inspect(value, { depth: -1 })}`;
  }
  const shown = inspect(value, { colors: false }).slice(0, 28);
  return `Received type ${typeof value} (${shown})`;
}

/** A TypeError like Node's ERR_INVALID_ARG_TYPE. */
export function invalidArgType(name: string, expected: string, actual: unknown): CodedError<TypeError> {
  return withCode(new TypeError(`The "${name}" argument must be ${expected}. ${describeReceived(actual)}`),
    'ERR_INVALID_ARG_TYPE');
}

/** A RangeError like Node's ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, range: string, actual: unknown): CodedError<RangeError> {
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. ` +
    `Received ${inspect(actual)}`), 'ERR_OUT_OF_RANGE');
}

/** A RangeError with the given code. */
export function rangeErrorWithCode(message: string, code: string): CodedError<RangeError> {
  return withCode(new RangeError(message), code);
}

/** A TypeError with a code of this package's own, for values of the right type in a bad state. */
export function invalidArgValue(message: string, code: string): CodedError<TypeError> {
  return withCode(new TypeError(message), code);
}

/**
 * An Error like Node's own AbortError (name 'AbortError', code 'ABORT_ERR'), whose cause is the
 * signal's reason: what fs.promises.readFile rejects with when its signal aborts.
 */
export function abortError(reason: unknown): CodedError<Error> {
  const error = withCode(new Error('The operation was aborted', { cause: reason }), 'ABORT_ERR');
  error.name = 'AbortError';
  return error;
}
