// Transparent mode: Buffers an unchanged app makes, at or above a size threshold, come from the
// page-aligned mergeable allocator, so that identical copies merge whole. While any Buffer may be
// placed (placement.ts decides), it replaces the factories on Buffer with its own (alloc,
// allocUnsafe, allocUnsafeSlow, from, concat), which do the work themselves; while none may
// (ksmd stopped), Node's are back on Buffer and the mode costs nothing. Which of Node's own APIs
// reach the factories differs by Node version (the API reference lists it). Memory Node
// allocates in C++ is untouched.
//
// What the app can observe stays Node's: every call whose arguments are unusual, too small or
// invalid goes to Node's own function, which validates, throws and pools exactly as it does.
// The one difference is layout: a placed Buffer has byteOffset 0 and its own ArrayBuffer, as
// Node gives for what it does not pool; Node may pool below Buffer.poolSize / 2 (32 KiB from
// Node 24), the mode never pools what it places. allocUnsafe memory may hold an earlier
// Buffer's bytes, as Node's may, unless Node was started with --zero-fill-buffers.
// Buffer from node:buffer: the global one is a getter (Node keeps it replaceable), a call per use.
import { Buffer, constants } from 'node:buffer';
import { types } from 'node:util';
import { allocatePageAligned } from './alloc.js';
import { validateInteger, validateOneOf, validateOptions } from './args.js';
import { concatParts, concatSize, copySource } from './buffer-sources.js';
import { KsmUnsupportedError } from './errors.js';
import { pageSize } from './kernel/page-size.js';
import { zeroFillBuffers } from './node-flags.js';
import {
  CLASS_COUNT, classOf, classPages, classPlaced, mayPlace, placementClasses, placementMode, placesAny, placingClass,
  startPlacement, stopPlacement,
} from './placement.js';
import type { Placement, PlacementReason } from './types.js';

/** Buffers and their bytes: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#buffertally */
export interface BufferTally {
  buffers: number;
  bytes: number;
}

/** One class of Buffers, by the pages they take, and what the mode decided for it: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#transparentmodeclass */
export interface TransparentModeClass {
  minPages: number;
  maxPages: number | undefined;
  placing: boolean;
  reason: PlacementReason;
  placed: BufferTally;
  notPlaced: BufferTally;
  sampledPages: number;
  mergedShare: number | undefined;
}

/** What transparent mode did in this thread: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#transparentmodestats */
export interface TransparentModeStats {
  enabled: boolean;
  threshold: number;
  placement: Placement;
  placed: BufferTally;
  left: {
    belowThreshold: BufferTally;
    notPlacing: BufferTally;
    fallback: BufferTally;
    otherArguments: BufferTally;
  };
  classes: TransparentModeClass[];
}

/** What enableTransparentMode() takes: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#transparentmodeoptions */
export interface TransparentModeOptions {
  threshold?: number;
  placement?: Placement;
}

const PLACEMENTS: readonly Placement[] = ['adaptive', 'always'];

/** The fewest and most bytes per UTF-16 unit of a string, by encoding (others: 0 and 3). */
const BYTES_PER_UNIT: Partial<Record<string, readonly [number, number]>> = {
  utf8: [1, 3], 'utf-8': [1, 3], latin1: [1, 1], binary: [1, 1], ascii: [1, 1],
  ucs2: [2, 2], 'ucs-2': [2, 2], utf16le: [2, 2], 'utf-16le': [2, 2], base64: [0, 1], base64url: [0, 1], hex: [0, 1],
};
const ANY_BYTES_PER_UNIT = [0, 3] as const;
/** The encodings whose byte count reads every character (the others' is arithmetic on the length). */
const COUNTED_BY_READING: ReadonlySet<string> = new Set(['utf8', 'utf-8']);

/** The default threshold: one page. A smaller placed Buffer would still take a whole page. */
export const DEFAULT_THRESHOLD = 4096;

type Factories = Pick<typeof Buffer, 'alloc' | 'allocUnsafe' | 'allocUnsafeSlow' | 'from' | 'concat'>;
const FACTORIES = ['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'from', 'concat'] as const;

const tally = (): BufferTally => ({ buffers: 0, bytes: 0 });
const count = (into: BufferTally, bytes: number): void => {
  into.buffers++;
  into.bytes += bytes;
};

type Left = TransparentModeStats['left'];
type Reason = keyof Left;
const noneLeft = (): Left => ({ belowThreshold: tally(), notPlacing: tally(), fallback: tally(),
  otherArguments: tally() });
const tallies = () => Array.from({ length: CLASS_COUNT }, tally);

let threshold = DEFAULT_THRESHOLD;
let page = 4096;
let left = noneLeft();
let placedByClass = tallies();
let notPlacedByClass = tallies();
/** While the mode is on: Node's functions (or whatever was on Buffer), ours, to tell whether
 *  they are still the ones installed, and how to retire ours. */
let installed: { node: Factories; ours: Factories; retire: () => void } | undefined;
/** The function each of our wrappers (current or retired) stands in for. */
const wrapped = new WeakMap<object, unknown>();

// Node's own, taken at load, so that what the mode writes does not depend on what an app
// patches later (Node's buffer.js uses its primordials for the same reason).
const { byteLength, isEncoding } = Buffer;
const { fill: bufferFill, write: bufferWrite } = Buffer.prototype;
const { set: typedArraySet, subarray: typedArraySubarray } = Uint8Array.prototype;
const { isAnyArrayBuffer } = types; // node:util's exports have slow properties: read once

/** Whether `size` is a length the mode places: an integer Node accepts, at least the threshold. */
const placeable = (size: unknown): size is number =>
  typeof size === 'number' && size >= threshold && size <= constants.MAX_LENGTH && Number.isInteger(size);

/** Page-aligned memory for a placed Buffer of `size` bytes (its contents: AllocateBlock,
 *  native/core/allocator.h), counted in its class; null where the allocator cannot give it. */
function allocatePlaced(size: number, zeroed: boolean): Buffer | null {
  let buffer: Buffer | null;
  try {
    buffer = allocatePageAligned(size, zeroed);
  } catch {
    buffer = null; // ENOMEM, the mapping limit: Node's memory will do
  }
  if (buffer !== null) count(placedByClass[classOf(size, page)], size);
  return buffer;
}

/** A placed Buffer of `size` bytes, or why not: its class is not placed now, or no memory. */
function place(size: number, zeroed: boolean): Buffer | 'notPlacing' | 'fallback' {
  if (!placingClass(classOf(size, page))) return 'notPlacing';
  return allocatePlaced(size, zeroed) ?? 'fallback';
}

// Set while one of Node's functions serves a call: Node's functions may call Buffer's
// factories (which, on some versions, are ours); those calls then go straight to Node, so that
// what the mode places and counts never depends on how a version of Node is built.
let insideNode = false;

/** One of Node's factories, called with Buffer as `this`, as the app would have called it. */
type NodeCall = (self: typeof Buffer, a?: unknown, b?: unknown, c?: unknown) => Buffer;
// The arguments go through an array the optimizer cannot see into (not a literal), so that it
// never inlines Node's function into this module's code: this code gets hot sooner than Node's,
// and would fix Node's code with its type feedback still immature (measured: Buffer.from of a
// 48 KiB string then lost Node's fast byte count, 2x slower, in about half the runs). A new
// array each time: storing into one kept in the old generation costs a write barrier per call.
// (No spread: it uses Array's iterator, which an app may have replaced; Node's primordials do not.)
// `arity`: how many arguments Node's function gets.
const callerOf = (fn: unknown, arity: 1 | 2 | 3): NodeCall => (self, a, b, c) => {
  const args = new Array<unknown>(arity);
  args[0] = a;
  if (arity > 1) args[1] = b;
  if (arity > 2) args[2] = c;
  return Reflect.apply(fn as (...args: unknown[]) => Buffer, self, args) as Buffer;
};

/** Node's function serves this call (`call`, with up to three arguments); nothing is counted. */
function callNode(call: NodeCall, a: unknown, b: unknown, c: unknown): Buffer {
  insideNode = true;
  try {
    return call(Buffer, a, b, c);
  } finally {
    insideNode = false;
  }
}

/** Counts `buffer` as left to Node: below the threshold by its size, at or above it as `atThreshold`. */
function leftToNode(buffer: Buffer, atThreshold: Reason): Buffer {
  const { length } = buffer;
  if (length < threshold) {
    count(left.belowThreshold, length);
  } else {
    count(left[atThreshold], length);
    if (atThreshold === 'notPlacing') count(notPlacedByClass[classOf(length, page)], length);
  }
  return buffer;
}

/** Node's Buffer `made`, or, where its class is placed now, a placed copy of it. */
function placedCopy(made: Buffer): Buffer {
  const copy = made.length >= threshold ? place(made.length, false) : 'notPlacing';
  if (typeof copy === 'string') return leftToNode(made, copy);
  Reflect.apply(typedArraySet, copy, [made]);
  return copy;
}

/** Node's function serves this call, and its Buffer is counted as left to Node. */
const viaNode = (call: NodeCall, a: unknown, b: unknown, c: unknown, atThreshold: Reason = 'otherArguments'): Buffer =>
  leftToNode(callNode(call, a, b, c), atThreshold);

function wrapFactories(nodes: Factories, zeroFill: boolean): { ours: Factories; retire: () => void } {
  // Once the mode is disabled, a wrapper that someone still holds (an app that saved
  // Buffer.alloc, and put it back later) is Node's function again: it places nothing.
  let retired = false;
  const nodeAlloc = callerOf(nodes.alloc, 3);
  const nodeFrom = callerOf(nodes.from, 3);
  const nodeConcat = callerOf(nodes.concat, 2);

  const alloc = function alloc(size: number, fill?: string | Uint8Array | number, encoding?: BufferEncoding): Buffer {
    if (retired || insideNode) return nodeAlloc(Buffer, size, fill, encoding);
    if (!placeable(size)) return viaNode(nodeAlloc, size, fill, encoding);
    const buffer = place(size, true);
    if (typeof buffer === 'string') return viaNode(nodeAlloc, size, fill, encoding, buffer);
    // Node fills through the same _fill as Buffer.prototype.fill; zero needs no filling.
    if (fill !== undefined && fill !== 0) Reflect.apply(bufferFill, buffer, [fill, 0, size, encoding]);
    return buffer;
  };
  // Node 26 added an `alignment` argument: given, the call is Node's to serve; not given, Node's
  // function gets the size alone, as the app passed it.
  const unsafe = (fn: unknown) => {
    const withAlignment = callerOf(fn, 2);
    const sizeOnly = callerOf(fn, 1);
    return function (size: number, alignment?: unknown): Buffer {
      const call = alignment === undefined ? sizeOnly : withAlignment;
      if (retired || insideNode) return call(Buffer, size, alignment);
      if (!placeable(size) || alignment !== undefined) return viaNode(call, size, alignment, undefined);
      const buffer = place(size, zeroFill);
      return typeof buffer === 'string' ? viaNode(call, size, alignment, undefined, buffer) : buffer;
    };
  };
  const allocUnsafe = unsafe(nodes.allocUnsafe);
  const allocUnsafeSlow = unsafe(nodes.allocUnsafeSlow);

  const from = function from(value: unknown, encodingOrOffset?: unknown, length?: unknown): Buffer {
    if (retired || insideNode) return nodeFrom(Buffer, value, encodingOrOffset, length);
    if (typeof value === 'string') return fromString(value, encodingOrOffset, length);
    // Not an object: Node's TypeError. An ArrayBuffer: a view over it, nothing to copy.
    if (typeof value !== 'object' || value === null || isAnyArrayBuffer(value)) {
      return viaNode(nodeFrom, value, encodingOrOffset, length);
    }
    const copy = copySource(value);
    if (copy === undefined || !placeable(copy.length)) return viaNode(nodeFrom, value, encodingOrOffset, length);
    const buffer = place(copy.length, false);
    if (typeof buffer === 'string') return viaNode(nodeFrom, value, encodingOrOffset, length, buffer);
    Reflect.apply(typedArraySet, buffer, [copy.source]); // every byte
    return buffer;
  };
  /** A string: placed when its byte length is large enough, written as Node writes it. */
  function fromString(value: string, encoding: unknown, length: unknown): Buffer {
    // No encoding takes more than 3 bytes per UTF-16 unit: most small strings stop here,
    // unmeasured; and none is measured while nothing is placed (ksmd stopped).
    if (value.length * 3 < threshold || !placesAny()) return viaNode(nodeFrom, value, encoding, length, 'notPlacing');
    // Node: no encoding (or one that is not a string) is utf8; a name it does not know throws.
    const name = typeof encoding === 'string' && encoding !== '' ? encoding as BufferEncoding : 'utf8';
    if (!isEncoding(name)) return viaNode(nodeFrom, value, encoding, length);
    // Nor are strings measured whose sizes all fall in classes not placed now.
    const perUnit = BYTES_PER_UNIT[name] ?? ANY_BYTES_PER_UNIT;
    const fewest = value.length * perUnit[0];
    if (!mayPlace(Math.max(fewest, threshold), value.length * perUnit[1], page)) {
      return viaNode(nodeFrom, value, encoding, length, 'notPlacing');
    }
    // Counting UTF-8 bytes reads the whole string, and most strings take their fewest (ASCII
    // text). Unless those would be placed, Node makes the Buffer, counting once, and one whose
    // class is placed after all is copied.
    if (COUNTED_BY_READING.has(name) && (fewest < threshold || !classPlaced(classOf(fewest, page)))) {
      return placedCopy(callNode(nodeFrom, value, encoding, length));
    }
    const size = byteLength(value, name);
    if (!placeable(size)) return viaNode(nodeFrom, value, encoding, length);
    const buffer = place(size, false);
    if (typeof buffer === 'string') return viaNode(nodeFrom, value, encoding, length, buffer);
    const written = Reflect.apply(bufferWrite, buffer, [value, 0, size, name]) as number;
    if (written === size) return buffer;
    // byteLength overestimates invalid base64 and hex: Node then gives the written bytes as a
    // view over the whole allocation; past them, this one holds zeros, not an earlier Buffer's bytes.
    Reflect.apply(bufferFill, buffer, [0, written]);
    return Reflect.apply(typedArraySubarray, buffer, [0, written]) as Buffer;
  }

  const concat = function concat(list: readonly Uint8Array[], totalLength?: number): Buffer {
    if (retired || insideNode) return nodeConcat(Buffer, list, totalLength);
    // Sized first, copying nothing: most calls stop here while their class is not placed.
    const sized = concatSize(list);
    const size = totalLength === undefined ? sized : totalLength;
    if (sized === undefined || !placeable(size)) return viaNode(nodeConcat, list, totalLength, undefined);
    if (!placingClass(classOf(size, page))) return viaNode(nodeConcat, list, totalLength, undefined, 'notPlacing');
    const parts = concatParts(list);
    if (parts === undefined) return viaNode(nodeConcat, list, totalLength, undefined);
    const buffer = allocatePlaced(size, false);
    if (buffer === null) return viaNode(nodeConcat, list, totalLength, undefined, 'fallback');
    let at = 0;
    for (let i = 0; i < parts.items.length && at < size; i++) {
      const bytes = Math.min(parts.lengths[i], size - at);
      const item = bytes === parts.lengths[i] ? parts.items[i]
        : Reflect.apply(typedArraySubarray, parts.items[i], [0, bytes]);
      Reflect.apply(typedArraySet, buffer, [item, at]);
      at += bytes;
    }
    // A total longer than the parts: Node zero-fills the rest.
    if (at < size) Reflect.apply(bufferFill, buffer, [0, at]);
    return buffer;
  };

  const ours = { alloc, allocUnsafe, allocUnsafeSlow, from, concat } as Factories;
  // Each looks like Node's own: the same name, and the number of arguments this version declares.
  for (const key of FACTORIES) {
    Object.defineProperty(ours[key], 'name', { value: nodes[key].name });
    Object.defineProperty(ours[key], 'length', { value: nodes[key].length });
    wrapped.set(ours[key], nodes[key]);
  }
  return { ours, retire: () => { retired = true; } };
}

/** Puts this thread's Buffers from a threshold up in mergeable memory: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#enabletransparentmodeoptions-void */
export function enableTransparentMode(options?: TransparentModeOptions): void {
  const { threshold: wanted = DEFAULT_THRESHOLD, placement = 'adaptive' } =
    validateOptions<TransparentModeOptions>(options);
  validateInteger(wanted, 'options.threshold', 1, constants.MAX_LENGTH);
  validateOneOf(placement, 'options.placement', PLACEMENTS);
  // Fails here, not at the first Buffer, where the addon or KSM is missing.
  if (allocatePageAligned(1) === null) {
    throw new KsmUnsupportedError(['this runtime refuses ArrayBuffers over memory from outside its heap ' +
      '(the V8 sandbox), so Buffers cannot be placed in mergeable memory']);
  }
  threshold = wanted;
  page = pageSize();
  if (installed === undefined) {
    // What is on Buffer now, unless it is a wrapper of ours an app put back after a disable.
    const node = Object.fromEntries(FACTORIES.map((key) =>
      [key, wrapped.get(Buffer[key]) ?? Buffer[key]])) as unknown as Factories;
    installed = { node, ...wrapFactories(node, zeroFillBuffers()) };
    left = noneLeft();
    placedByClass = tallies();
    notPlacedByClass = tallies();
  } else if (placement === placementMode()) {
    return;
  }
  startPlacement(placement, putOnBuffer);
}

/**
 * Puts the mode's factories on Buffer while any Buffer may be placed, and the ones it found
 * while none may (ksmd stopped), so that the mode then costs nothing. A factory that someone
 * else has replaced since is left as it is. Never throws.
 */
function putOnBuffer(placing: boolean): void {
  if (installed === undefined) return;
  const { node, ours } = installed;
  for (const key of FACTORIES) {
    const current = Buffer[key];
    // Ours go over what the mode found (or a retired wrapper of ours standing for it); the found
    // ones go back over ours only.
    const replace = placing ? current !== ours[key] && (wrapped.get(current) ?? current) === node[key]
      : current === ours[key];
    try {
      if (replace) Reflect.set(Buffer, key, placing ? ours[key] : node[key]);
    } catch {
      // A setter an app put there: the factory stays as it is, and serves calls either way.
    }
  }
}

/** Turns transparent mode off in this thread: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#disabletransparentmode-void */
export function disableTransparentMode(): void {
  if (installed === undefined) return;
  stopPlacement();
  putOnBuffer(false);
  installed.retire();
  installed = undefined;
}

/** What transparent mode decided and placed in this thread: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#transparentmodestats-transparentmodestats */
export function transparentModeStats(): TransparentModeStats {
  const copy = <T extends object>(record: T): T => ({ ...record });
  return {
    enabled: installed !== undefined,
    threshold,
    placement: placementMode(),
    placed: placedByClass.reduce((sum, counted) =>
      ({ buffers: sum.buffers + counted.buffers, bytes: sum.bytes + counted.bytes }), tally()),
    left: Object.fromEntries(Object.entries(left).map(([reason, counted]) => [reason, copy(counted)])) as Left,
    classes: placementClasses().map((state, i) => ({
      ...classPages(i),
      placing: state.placing,
      reason: state.reason,
      placed: copy(placedByClass[i]),
      notPlaced: copy(notPlacedByClass[i]),
      sampledPages: Math.round(state.sampledPages),
      mergedShare: state.sampledPages > 0 ? state.mergedPages / state.sampledPages : undefined,
    })),
  };
}
