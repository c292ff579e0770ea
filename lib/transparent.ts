// Transparent mode: Buffers an unchanged app makes, at or above a size threshold, come from the
// page-aligned mergeable allocator, so that identical copies merge whole. It replaces the
// factories on Buffer with its own (alloc, allocUnsafe, allocUnsafeSlow, from, concat), which
// do the work themselves; which of Node's own APIs reach them differs by Node version (the API
// reference lists it). Memory Node allocates in C++ is untouched.
//
// What the app can observe stays Node's: every call whose arguments are unusual, too small or
// invalid goes to Node's own function, which validates, throws and pools exactly as it does.
// The one difference is layout: a placed Buffer has byteOffset 0 and its own ArrayBuffer, as
// Node gives for what it does not pool; Node may pool below Buffer.poolSize / 2 (32 KiB from
// Node 24), the mode never pools what it places. allocUnsafe memory may hold an earlier
// Buffer's bytes, as Node's may, unless Node was started with --zero-fill-buffers.
import { constants } from 'node:buffer';
import { types } from 'node:util';
import { allocatePageAligned } from './alloc.js';
import { validateInteger, validateOneOf, validateOptions } from './args.js';
import { concatParts, copySource } from './buffer-sources.js';
import { KsmUnsupportedError } from './errors.js';
import { pageSize } from './kernel/page-size.js';
import { zeroFillBuffers } from './node-flags.js';
import {
  CLASS_COUNT, classOf, classPages, mayPlace, NOT_PLACING, placementClasses, placementMode, placingClass, PROBE_TAKEN,
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

/** Whether `size` is a length the mode places: an integer Node accepts, at least the threshold. */
const placeable = (size: unknown): size is number =>
  typeof size === 'number' && size >= threshold && size <= constants.MAX_LENGTH && Number.isInteger(size);

/**
 * Page-aligned memory for a Buffer of `size` bytes (its contents: AllocateBlock,
 * native/core/allocator.h), or why not (its class is not placing now, or the allocator could
 * not give memory). Counted by class either way.
 */
function place(size: number, zeroed: boolean, probeTaken = false): Buffer | 'notPlacing' | 'fallback' {
  const index = classOf(size, page);
  if (!placingClass(index, probeTaken)) return 'notPlacing';
  let buffer: Buffer | null;
  try {
    buffer = allocatePageAligned(size, zeroed);
  } catch {
    buffer = null; // ENOMEM, the mapping limit: Node's memory will do
  }
  if (buffer === null) return 'fallback';
  count(placedByClass[index], size);
  return buffer;
}

// Set while one of Node's functions serves a call: Node's functions may call Buffer's
// factories (which, on some versions, are ours); those calls then go straight to Node, so that
// what the mode places and counts never depends on how a version of Node is built.
let insideNode = false;

/** Node's function for a call the mode does not place, counted by why: `reason`, or else by its size. */
function leaveToNode(make: () => Buffer, reason?: Reason): Buffer {
  if (insideNode) return make();
  insideNode = true;
  let buffer: Buffer;
  try {
    buffer = make();
  } finally {
    insideNode = false;
  }
  count(left[reason ?? (buffer.length < threshold ? 'belowThreshold' : 'otherArguments')], buffer.length);
  if (reason === 'notPlacing') count(notPlacedByClass[classOf(buffer.length, page)], buffer.length);
  return buffer;
}

function wrapFactories(nodes: Factories, zeroFill: boolean): { ours: Factories; retire: () => void } {
  // Once the mode is disabled, a wrapper that someone still holds (an app that saved
  // Buffer.alloc, and put it back later) is Node's function again: it places nothing.
  let retired = false;
  // Node's functions are called with Buffer as `this`, as the app would have called them.
  const node = <K extends keyof Factories>(key: K, args: unknown[]): Buffer =>
    Reflect.apply(nodes[key] as (...a: unknown[]) => Buffer, Buffer, args);
  /** Node's function for this call, counted by why the mode did not place it. */
  const toNode = (key: keyof Factories, args: unknown[], reason?: Reason) => leaveToNode(() => node(key, args), reason);

  const alloc = function alloc(size: number, fill?: string | Uint8Array | number, encoding?: BufferEncoding): Buffer {
    const args = [size, fill, encoding];
    if (retired) return node('alloc', args);
    if (insideNode || !placeable(size)) return toNode('alloc', args);
    const buffer = place(size, true);
    if (typeof buffer === 'string') return toNode('alloc', args, buffer);
    // Node fills through the same _fill as Buffer.prototype.fill; zero needs no filling.
    if (fill !== undefined && fill !== 0) Reflect.apply(bufferFill, buffer, [fill, 0, size, encoding]);
    return buffer;
  };
  // Node 26 added an `alignment` argument: given, the call is Node's to serve.
  const unsafe = (key: 'allocUnsafe' | 'allocUnsafeSlow') => function (size: number, alignment?: unknown): Buffer {
    // No spread or for-of on these paths: they use Array's iterator, which an app may have
    // replaced, and Node's own functions (its primordials) do not.
    const args = alignment === undefined ? [size] : [size, alignment];
    if (retired) return node(key, args);
    if (insideNode || !placeable(size) || alignment !== undefined) return toNode(key, args);
    const buffer = place(size, zeroFill);
    return typeof buffer === 'string' ? toNode(key, args, buffer) : buffer;
  };
  const allocUnsafe = unsafe('allocUnsafe');
  const allocUnsafeSlow = unsafe('allocUnsafeSlow');

  const from = function from(value: unknown, encodingOrOffset?: unknown, length?: unknown): Buffer {
    const args = [value, encodingOrOffset, length];
    if (retired) return node('from', args);
    if (insideNode) return toNode('from', args);
    if (typeof value === 'string') return fromString(value, encodingOrOffset, args);
    // Not an object: Node's TypeError. An ArrayBuffer: a view over it, nothing to copy.
    if (typeof value !== 'object' || value === null || types.isAnyArrayBuffer(value)) return toNode('from', args);
    const copy = copySource(value);
    if (copy === undefined || !placeable(copy.length)) return toNode('from', args);
    const buffer = place(copy.length, false);
    if (typeof buffer === 'string') return toNode('from', args, buffer);
    Reflect.apply(typedArraySet, buffer, [copy.source]); // every byte
    return buffer;
  };
  /** A string: placed when its byte length is large enough, written as Node writes it. */
  function fromString(value: string, encoding: unknown, args: unknown[]): Buffer {
    // Node: no encoding (or one that is not a string) is utf8; a name it does not know throws.
    const name = typeof encoding === 'string' && encoding !== '' ? encoding as BufferEncoding : 'utf8';
    // No encoding takes more than 3 bytes per UTF-16 unit: most small strings stop here, unmeasured.
    if (value.length * 3 < threshold || !isEncoding(name)) return toNode('from', args);
    // Nor are strings measured whose sizes all fall in classes not placed now (ksmd stopped).
    const perUnit = BYTES_PER_UNIT[name] ?? ANY_BYTES_PER_UNIT;
    const verdict = mayPlace(Math.max(value.length * perUnit[0], threshold), value.length * perUnit[1], page);
    if (verdict === NOT_PLACING) return toNode('from', args, 'notPlacing');
    const size = byteLength(value, name);
    if (!placeable(size)) return toNode('from', args);
    const buffer = place(size, false, verdict === PROBE_TAKEN);
    if (typeof buffer === 'string') return toNode('from', args, buffer);
    const written = Reflect.apply(bufferWrite, buffer, [value, 0, size, name]) as number;
    if (written === size) return buffer;
    // byteLength overestimates invalid base64 and hex: Node then gives the written bytes as a
    // view over the whole allocation; past them, this one holds zeros, not an earlier Buffer's bytes.
    Reflect.apply(bufferFill, buffer, [0, written]);
    return Reflect.apply(typedArraySubarray, buffer, [0, written]) as Buffer;
  }

  const concat = function concat(list: readonly Uint8Array[], totalLength?: number): Buffer {
    const args = [list, totalLength];
    if (retired) return node('concat', args);
    if (insideNode) return toNode('concat', args);
    const parts = concatParts(list);
    const size = totalLength === undefined ? parts?.total : totalLength;
    if (parts === undefined || !placeable(size)) return toNode('concat', args);
    const buffer = place(size, false);
    if (typeof buffer === 'string') return toNode('concat', args, buffer);
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
  if (placement !== placementMode() || installed === undefined) startPlacement(placement);
  if (installed !== undefined) return;
  // What is on Buffer now, unless it is a wrapper of ours an app put back after a disable.
  const node = Object.fromEntries(FACTORIES.map((key) =>
    [key, wrapped.get(Buffer[key]) ?? Buffer[key]])) as unknown as Factories;
  installed = { node, ...wrapFactories(node, zeroFillBuffers()) };
  left = noneLeft();
  placedByClass = tallies();
  notPlacedByClass = tallies();
  Object.assign(Buffer, installed.ours);
}

/** Turns transparent mode off in this thread: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#disabletransparentmode-void */
export function disableTransparentMode(): void {
  if (installed === undefined) return;
  const { node, ours, retire } = installed;
  for (const key of FACTORIES) {
    if (Buffer[key] === ours[key]) (Buffer as unknown as Record<string, unknown>)[key] = node[key];
  }
  retire();
  stopPlacement();
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
