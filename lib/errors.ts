import { inspect } from 'node:util';

/**
 * The errno names a KsmError can carry, as Node names them: from madvise, mmap and prctl, and
 * from opening, reading and writing files (/proc, /sys, and the files readFileMergeable reads).
 * 'UNKNOWN' is Node's name for an errno libuv has none for (ESTALE on a network file system).
 */
export type KsmErrnoCode =
  | 'EACCES' | 'EAGAIN' | 'EBUSY' | 'EINTR' | 'EINVAL' | 'EIO' | 'EISDIR' | 'ELOOP' | 'EMFILE' | 'ENAMETOOLONG'
  | 'ENFILE' | 'ENODEV' | 'ENOENT' | 'ENOMEM' | 'ENOSPC' | 'ENOSYS' | 'ENOTDIR' | 'ENXIO' | 'EPERM' | 'EROFS'
  | 'ESRCH' | 'ETIMEDOUT' | 'UNKNOWN';

/**
 * The code a KsmError carries: node-ksm's own ERR_KSM_* codes, or an errno name. The names
 * listed are those its calls raise on their own; a file system can answer others (ENOTCONN from
 * a dead FUSE mount, EOVERFLOW), passed through as Node names them, so the type stays open.
 */
export type KsmErrorCode =
  | 'ERR_KSM_UNSUPPORTED' | 'ERR_KSM_SETTING_UNAVAILABLE' | 'ERR_KSM_NOT_REGULAR_FILE' | KsmErrnoCode
  // Any other string, written so that editors still offer the names above.
  | (string & {});

/** A ksmd setting that a failed ksmd.configure() (or override()) could not put back. */
export interface KsmdRollbackFailure {
  /** The setting's key ('pagesToScan'), a key of KsmdSettings. */
  setting: string;
  /** The value it was left at: the one written before the failure. */
  value: number | string;
  /** The value it should have gone back to. */
  previous: number | string;
  /** Why writing `previous` failed. */
  error: Error;
}

export interface KsmErrorDetails {
  /** A stable identifier to branch on: an errno name ('EINVAL') or an 'ERR_KSM_*' code. */
  code: KsmErrorCode;
  /** The negated errno, as Node reports it (-22 for EINVAL), when a system call failed. */
  errno?: number;
  /** The system call that failed ('madvise', 'prctl', 'open', ...). */
  syscall?: string;
  /** The file the failed call was about, for errors from /proc and /sys. */
  path?: string;
  /** ksmd settings left changed because putting them back failed too (ksmd.configure, ksmd.override). */
  rollbackFailures?: readonly KsmdRollbackFailure[];
}

/** Every failure of a KSM operation: a failed system call, or KSM being unavailable. */
export class KsmError extends Error {
  readonly code: KsmErrorCode;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  /**
   * Set only when ksmd.configure() or ksmd.override() failed and then could not put back the
   * settings it had already written: each one left changed, at which value, and why.
   */
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

/** KSM cannot be used from this process at all: the reasons say why and what would fix it. */
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
