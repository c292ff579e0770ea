// Every argument check of the public calls: Node's error codes, messages naming the argument.
import { constants as bufferConstants } from 'node:buffer';
import { inspect, types } from 'node:util';
import { abortError, invalidArgType, invalidArgValue, outOfRange } from './errors.js';
import type { AdviseOptions, MemoryLike, Pid } from './types.js';

const MEMORY_TYPES = 'an instance of ArrayBuffer, Buffer, TypedArray or DataView';

/** Whether an ArrayBuffer was transferred or released (it then reads as zero bytes long). */
export function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * Checks that value is private memory KSM can act on. Shared memory is rejected rather than
 * ignored: the kernel silently skips shared mappings, so marking it would do nothing.
 * With allowShared (for calls that only copy from it), shared memory is accepted.
 */
export function validateMemory(value: unknown, name: string, { allowShared = false } = {}):
  asserts value is MemoryLike {
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  // The common case, checked cheaply: this runs on every markMergeable.
  if (buffer instanceof ArrayBuffer && buffer.byteLength !== 0) return;
  if (types.isSharedArrayBuffer(buffer)) {
    if (allowShared) return;
    throw invalidArgValue(`The "${name}" argument is backed by a SharedArrayBuffer: KSM merges only ` +
      'private memory and the kernel silently ignores shared memory', 'ERR_KSM_SHARED_MEMORY');
  }
  if (!types.isArrayBuffer(buffer)) throw invalidArgType(name, MEMORY_TYPES, value);
  if (isDetached(buffer)) {
    throw invalidArgValue(`The "${name}" argument's ArrayBuffer is detached (its memory was ` +
      'transferred or released)', 'ERR_KSM_DETACHED_BUFFER');
  }
}

/** An integer in [min, max]: TypeError if not a number, RangeError if outside. */
export function validateInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} && <= ${max}`, value);
  }
}

/** One of `choices`, as Node's ERR_INVALID_ARG_VALUE says it. */
export function validateOneOf<T extends string>(value: unknown, name: string,
  choices: readonly T[]): asserts value is T {
  if (choices.includes(value as T)) return;
  const list = choices.map((choice) => `'${choice}'`).join(', ');
  throw invalidArgValue(`The property '${name}' must be one of: ${list}. Received ${inspect(value)}`,
    'ERR_INVALID_ARG_VALUE');
}

/** An options argument: undefined or a plain object. */
export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value as Partial<T>;
}

/** A required object argument: like an options argument, but undefined is refused too. */
export function validateObject<T extends object>(value: unknown, name: string): Partial<T> {
  if (value === undefined) throw invalidArgType(name, 'of type object', value);
  return validateOptions<T>(value, name);
}

/** An array of memory, each element checked as validateMemory checks one ("views[2]" named in errors). */
export function validateMemoryList(value: unknown, name: string): asserts value is readonly MemoryLike[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  for (let i = 0; i < value.length; i++) validateMemory(value[i], `${name}[${i}]`);
}

const FROM_TYPES = 'of type string or an instance of Buffer, TypedArray, DataView, ArrayBuffer or SharedArrayBuffer';

/** What mergeableFrom copies: a string, or memory of any kind, shared memory included. */
export function validateFromData(data: unknown): asserts data is string | MemoryLike | SharedArrayBuffer {
  if (typeof data === 'string') return;
  if (!types.isAnyArrayBuffer(data) && !types.isArrayBufferView(data)) throw invalidArgType('data', FROM_TYPES, data);
  validateMemory(data, 'data', { allowShared: true });
}

/** A path given as bytes must still have them: node:fs throws a code-less TypeError otherwise. */
export function validatePath(path: unknown): void {
  if (ArrayBuffer.isView(path) && path.byteLength === 0 && isDetached(path.buffer)) {
    throw invalidArgValue('The "path" argument\'s ArrayBuffer is detached', 'ERR_KSM_DETACHED_BUFFER');
  }
}

/** A view waitForMerge can watch: `pages`, the whole pages it holds, at least one. */
export function validateWholePages(pages: number, byteLength: number): void {
  if (pages === 0) throw outOfRange('view', 'a view holding at least one whole page', `${byteLength} bytes with none`);
}

/** Resolves { offset, length } against a view of byteLength bytes. */
export function resolveByteRange(options: unknown, byteLength: number): { offset: number; length: number } {
  const { offset = 0, length } = validateOptions<AdviseOptions>(options);
  validateInteger(offset, 'offset', 0, byteLength);
  if (length === undefined) return { offset, length: byteLength - offset };
  validateInteger(length, 'length', 0, byteLength - offset);
  return { offset, length };
}

export function validatePid(pid: unknown): asserts pid is Pid {
  if (pid === 'self') return;
  if (typeof pid !== 'number') throw invalidArgType('pid', "a number or 'self'", pid);
  validateInteger(pid, 'pid', 1, 2 ** 31 - 1);
}

/** A list of process ids: an array of integers from 1 to 2^31 - 1 (pid_t's range). */
export function validatePidList(value: unknown, name: string): asserts value is readonly number[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  value.forEach((pid, index) => validateInteger(pid, `${name}[${index}]`, 1, 2 ** 31 - 1));
}

/** A Buffer length: an integer from 0 to buffer.constants.MAX_LENGTH. */
export function validateSize(size: unknown): asserts size is number {
  validateInteger(size, 'size', 0, bufferConstants.MAX_LENGTH);
}

/** undefined, or an encoding Buffer knows: Node's own errors, not a code-less TypeError. */
export function validateEncoding(encoding: unknown): asserts encoding is BufferEncoding | undefined {
  if (encoding === undefined) return;
  if (typeof encoding !== 'string') throw invalidArgType('encoding', 'of type string', encoding);
  if (!Buffer.isEncoding(encoding)) throw invalidArgValue(`Unknown encoding: ${encoding}`, 'ERR_UNKNOWN_ENCODING');
}

/** A fill value as Buffer.alloc takes it: undefined, a string, a number, or bytes. */
export function validateFill(fill: unknown): asserts fill is string | number | Uint8Array | undefined {
  if (fill === undefined || typeof fill === 'string' || typeof fill === 'number' || ArrayBuffer.isView(fill)) return;
  throw invalidArgType('fill', 'of type string or number, or an instance of Buffer or Uint8Array', fill);
}

/** Milliseconds to wait: >= 0, Infinity for ever; `fallback` when undefined. */
export function validateTimeout(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType('timeout', 'of type number', value);
  if (!(value >= 0)) throw outOfRange('timeout', '>= 0 (milliseconds), or Infinity', value);
  return value;
}

/** The longest delay a Node timer takes: a longer one fires after 1 ms, with a TimeoutOverflowWarning. */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds between polls: from 10 to the largest timer delay; `fallback` when undefined. */
export function validateInterval(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType('interval', 'of type number', value);
  if (!(value >= 10 && value <= LONGEST_TIMER_MS)) {
    throw outOfRange('interval', `>= 10 && <= ${LONGEST_TIMER_MS} (milliseconds)`, value);
  }
  return value;
}

/** A fraction in (0, 1]; `fallback` when undefined. */
export function validateRatio(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value > 0 && value <= 1)) throw outOfRange(name, '> 0 && <= 1', value);
  return value;
}

/** undefined, or a boolean. */
export function validateBoolean(value: unknown, name: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

/** undefined, or a function (a callback). */
export function validateFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

/** undefined, or sharers per KSM page as ksmd's max_page_sharing counts them: >= 2, Infinity for no limit. */
export function validateSharingLimit(value: unknown, name: string): asserts value is number | undefined {
  if (value === undefined) return;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(Number.isInteger(value) && value >= 2) && value !== Infinity) {
    throw outOfRange(name, 'an integer >= 2, or Infinity', value);
  }
}

/** A ksmd switch: a boolean, or the number 0 or 1; returns it as 0 or 1. */
export function validateFlag(value: unknown, name: string): 0 | 1 {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type boolean or the number 0 or 1', value);
  validateInteger(value, name, 0, 1);
  return value as 0 | 1;
}

/** ksmd's advisor_mode: 'none' or 'scan-time'. */
export function validateAdvisorMode(value: unknown, name: string): 'none' | 'scan-time' {
  if (value === 'none' || value === 'scan-time') return value;
  if (typeof value !== 'string') throw invalidArgType(name, "'none' or 'scan-time'", value);
  throw invalidArgValue(`The "${name}" setting must be 'none' or 'scan-time'. Received '${value}'`,
    'ERR_INVALID_ARG_VALUE');
}

/** undefined, or ksmd's run state: 0 stopped, 1 running, 2 stopped with every page unmerged. */
export function validateRunState(run: unknown): asserts run is 0 | 1 | 2 | undefined {
  if (run !== undefined && run !== 0 && run !== 1 && run !== 2) throw outOfRange('run', '0, 1 or 2', run);
}

export function validateSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalidArgType('signal', 'an instance of AbortSignal', value);
}

/** Rejects as Node's fs.promises.readFile does once its signal has aborted: an AbortError whose cause is the reason. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal.reason);
}

/** A prom-client Registry, or undefined for its default one. */
export function validateRegistry(registry: unknown): void {
  if (registry !== undefined &&
    typeof (registry as { registerMetric?: unknown } | null)?.registerMetric !== 'function') {
    throw invalidArgType('registry', 'a prom-client Registry', registry);
  }
}

/** The options checked as Prometheus names them, so a mistake is ours to report, not a scrape's. */
export function validateMetricsOptions(options: unknown): { prefix: string; labels: Record<string, string> } {
  const { prefix = 'ksm_', labels = {} } = validateOptions<{ prefix?: unknown; labels?: unknown }>(options);
  if (typeof prefix !== 'string') throw invalidArgType('options.prefix', 'of type string', prefix);
  // Empty is allowed: the names are then node_exporter's own without its node_ksmd_ (pages_sharing).
  if (!/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw invalidArgValue('The "options.prefix" must start a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) ' +
      `or be empty. Received ${JSON.stringify(prefix)}`, 'ERR_INVALID_ARG_VALUE');
  }
  const given = validateOptions<Record<string, unknown>>(labels, 'options.labels');
  for (const [name, value] of Object.entries(given)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith('__') || name === 'reason') {
      throw invalidArgValue(`The label name ${JSON.stringify(name)} in "options.labels" is not a valid ` +
        'Prometheus label name, or is reserved ("__" prefix, "reason")', 'ERR_INVALID_ARG_VALUE');
    }
    if (typeof value !== 'string') throw invalidArgType(`options.labels.${name}`, 'of type string', value);
  }
  return { prefix, labels: { ...given } as Record<string, string> };
}
