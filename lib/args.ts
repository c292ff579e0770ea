// Argument checks shared by the public calls: Node's error codes, messages naming the argument.
import { types } from 'node:util';
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';

/** Memory a KSM call can act on: an ArrayBuffer or any view of one (Buffer, TypedArray, DataView). */
export type MemoryLike = ArrayBuffer | ArrayBufferView;

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

/** An options argument: undefined or a plain object. */
export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value as Partial<T>;
}

export interface ByteRangeOptions {
  /** First byte of the range, from the start of the view. Default 0. */
  offset?: number;
  /** Bytes in the range. Default: from offset to the end of the view. */
  length?: number;
}

/** Resolves { offset, length } against a view of byteLength bytes. */
export function resolveByteRange(options: unknown, byteLength: number): { offset: number; length: number } {
  const { offset = 0, length } = validateOptions<ByteRangeOptions>(options);
  validateInteger(offset, 'offset', 0, byteLength);
  if (length === undefined) return { offset, length: byteLength - offset };
  validateInteger(length, 'length', 0, byteLength - offset);
  return { offset, length };
}
