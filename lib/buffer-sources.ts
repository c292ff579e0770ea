// Which arguments of Buffer.from and Buffer.concat transparent mode copies itself: only those
// whose result is the same however Node reads them. Node reads a source's `length` property,
// its valueOf(), its iterator (`new Uint8Array(array)` for large ones), or its intrinsic length
// (TypedArray#set), and which one differs by size and version; for a plain source all agree.
// Anything else (Proxies, subclasses, own `length` or `valueOf`, accessors, BigInt arrays) is
// left to Node, which reads it as it always does. Built-ins are taken at load, as Node's own
// primordials are, so that an app patching a prototype later cannot change what is copied.
import { types } from 'node:util';

const { getPrototypeOf, getOwnPropertyDescriptor, hasOwn } = Object;
// Taken here, not read as types.isProxy(...) on each call: node:util's exports object has slow
// (dictionary) properties, and reading one costs a full property lookup every time.
const { isProxy, isTypedArray, isUint8Array } = types;
const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype) as object;
const intrinsic = (name: string) =>
  getOwnPropertyDescriptor(TypedArrayPrototype, name)?.get as (this: unknown) => number;
const typedArrayLength = intrinsic('length');
const typedArrayByteLength = intrinsic('byteLength');
const objectValueOf = Object.prototype.valueOf;
const arrayValues = Array.prototype[Symbol.iterator];
const ArrayIteratorPrototype = getPrototypeOf([][Symbol.iterator]()) as { next: unknown };
const arrayIteratorNext = ArrayIteratorPrototype.next;

/** The typed arrays whose elements convert to bytes as numbers (not BigInt64/BigUint64: Node throws). */
const numberTypedArrayPrototypes = new Set<object>([
  Buffer.prototype, Uint8Array.prototype, Int8Array.prototype, Uint8ClampedArray.prototype, Int16Array.prototype,
  Uint16Array.prototype, Int32Array.prototype, Uint32Array.prototype, Float32Array.prototype, Float64Array.prototype,
  ...('Float16Array' in globalThis
    ? [(globalThis as unknown as { Float16Array: { prototype: object } }).Float16Array.prototype] : []),
]);

// Object.prototype.valueOf, unpatched: Node's from() converts through valueOf() first, and it
// returns the object itself.
const valueOfIsOwn = (value: object): boolean =>
  !hasOwn(value, 'valueOf') && (value as { valueOf: unknown }).valueOf === objectValueOf &&
    Object.prototype.valueOf === objectValueOf;

function plainArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && !isProxy(value) && getPrototypeOf(value) === Array.prototype &&
    valueOfIsOwn(value) && !hasOwn(value, Symbol.iterator) &&
    Array.prototype[Symbol.iterator] === arrayValues && ArrayIteratorPrototype.next === arrayIteratorNext;
}

function plainTypedArray(value: unknown): value is ArrayLike<number> {
  return isTypedArray(value) && !isProxy(value) && numberTypedArrayPrototypes.has(getPrototypeOf(value)) &&
    !hasOwn(value, 'length') && valueOfIsOwn(value) &&
    getOwnPropertyDescriptor(TypedArrayPrototype, 'length')?.get === typedArrayLength;
}

/** An own data property of a plain object, read without running a getter; undefined otherwise. */
function ownData(value: object, key: string): { value: unknown } | undefined {
  const descriptor = getOwnPropertyDescriptor(value, key);
  return descriptor !== undefined && 'value' in descriptor ? { value: descriptor.value } : undefined;
}

/** An object literal: `{ length, 0: ... }` or JSON's `{ type: 'Buffer', data: [...] }`. */
function plainObject(value: object): boolean {
  const proto = getPrototypeOf(value);
  return !isProxy(value) && (proto === Object.prototype || proto === null) && valueOfIsOwn(value) &&
    !(Symbol.iterator in value) && !(Symbol.toPrimitive in value) && !('buffer' in value);
}

/**
 * What Buffer.from(value) copies, when the mode can copy it exactly: the source to hand to
 * TypedArray#set and its length in bytes; undefined for anything to leave to Node.
 */
export function copySource(value: object): { source: ArrayLike<number>; length: number } | undefined {
  if (plainTypedArray(value)) return { source: value, length: typedArrayLength.call(value) };
  if (plainArray(value)) return { source: value as ArrayLike<number>, length: value.length };
  if (!plainObject(value)) return undefined;
  const length = ownData(value, 'length');
  if (length !== undefined) {
    if (!Number.isSafeInteger(length.value) || (length.value as number) < 0) return undefined;
    return { source: value as ArrayLike<number>, length: length.value as number };
  }
  if ('length' in value || ownData(value, 'type')?.value !== 'Buffer') return undefined;
  const data = ownData(value, 'data')?.value;
  return plainArray(data) ? { source: data as ArrayLike<number>, length: data.length } : undefined;
}

/**
 * An item's byte length (read through the intrinsic getter: no code of the app runs) when it is
 * a Uint8Array, and, if `plain`, one whose bytes Node sums and copies the same on every version:
 * a Buffer or Uint8Array with no own `length`; -1 otherwise.
 */
function itemBytes(item: unknown, plain: boolean): number {
  if (!isUint8Array(item)) return -1;
  if (plain && (hasOwn(item, 'length') ||
    (getPrototypeOf(item) !== Buffer.prototype && getPrototypeOf(item) !== Uint8Array.prototype))) return -1;
  return typedArrayByteLength.call(item);
}

/**
 * The bytes Buffer.concat(list) would hold when every item is a Uint8Array, undefined otherwise:
 * enough to decide whether to place it; concatParts() then says whether the mode can copy it.
 */
export function concatSize(list: unknown): number | undefined {
  if (!Array.isArray(list) || isProxy(list)) return undefined;
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const bytes = itemBytes(list[i], false);
    if (bytes < 0) return undefined;
    total += bytes;
  }
  return total;
}

/**
 * The items of Buffer.concat(list), their byte lengths and their total, when every item is
 * plain (see itemBytes); undefined otherwise.
 */
export function concatParts(list: unknown): { items: Uint8Array[]; lengths: number[]; total: number } | undefined {
  if (!Array.isArray(list) || isProxy(list)) return undefined;
  const items: Uint8Array[] = [];
  const lengths: number[] = [];
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as Uint8Array;
    const bytes = itemBytes(item, true);
    if (bytes < 0) return undefined;
    items.push(item);
    lengths.push(bytes);
    total += bytes;
  }
  return { items, lengths, total };
}
