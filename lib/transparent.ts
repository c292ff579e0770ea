// Transparent mode: Buffers an unchanged app makes, at or above a size threshold, come from the
// page-aligned mergeable allocator, so that identical copies merge whole. It wraps the Buffer
// factories JavaScript allocates through (Node's own fs, Buffer.concat and `new Buffer` call
// them as looked up on Buffer, so they follow); memory Node allocates in C++ is untouched.
//
// What the app can observe stays Node's: every call whose arguments are unusual, too small or
// invalid goes to Node's own function, which validates, throws and pools exactly as it does.
// A placed Buffer has Node's length, byteOffset 0 and `buffer.byteLength` equal to its length
// (as Node gives for anything it does not pool). Like Node's, allocUnsafe memory may hold an
// earlier Buffer's bytes; what alloc zero-fills is zero.
import { constants } from 'node:buffer';
import { types } from 'node:util';
import { allocatePageAligned } from './alloc.js';
import { validateInteger, validateOptions } from './args.js';
import { KsmUnsupportedError } from './errors.js';

/** Buffers and their bytes. */
export interface BufferTally {
  buffers: number;
  bytes: number;
}

/** What transparent mode did in this thread since it was enabled. */
export interface TransparentModeStats {
  /** Whether the mode is on in this thread. */
  enabled: boolean;
  /** Buffers of at least this many bytes are placed (those Node pools stay in its pool). */
  threshold: number;
  /** Buffers placed in page-aligned mergeable memory. */
  placed: BufferTally;
  /** Buffers the mode left to Node, by reason. */
  left: {
    /** Smaller than the threshold, or small enough for Node's pool (Buffer.poolSize / 2). */
    belowThreshold: BufferTally;
    /** The allocator could not give memory (ENOMEM, the mapping limit, or a runtime that
     *  refuses memory from outside its heap): Node allocated them as usual. */
    fallback: BufferTally;
    /** Arguments the mode leaves to Node: Buffer.from of array-likes, typed arrays other
     *  than Uint8Array, objects converted through valueOf or Symbol.toPrimitive; sizes that
     *  are not integers. */
    otherArguments: BufferTally;
  };
}

export interface TransparentModeOptions {
  /** Smallest Buffer, in bytes, to place. Default 4096 (see the README). */
  threshold?: number;
}

/** The default threshold: one page, which is also where Node stops pooling (poolSize / 2). */
export const DEFAULT_THRESHOLD = 4096;

type Factories = Pick<typeof Buffer, 'alloc' | 'allocUnsafe' | 'allocUnsafeSlow' | 'from'>;

const tally = (): BufferTally => ({ buffers: 0, bytes: 0 });
const count = (into: BufferTally, bytes: number): void => {
  into.buffers++;
  into.bytes += bytes;
};

const noneLeft = (): TransparentModeStats['left'] => ({ belowThreshold: tally(), fallback: tally(), otherArguments: tally() });

let threshold = DEFAULT_THRESHOLD;
let placed = tally();
let left = noneLeft();
/** While the mode is on: Node's functions (or whatever was on Buffer), and ours, to tell whether
 *  they are still the ones installed. */
let installed: { node: Factories; ours: Factories } | undefined;

const objectValueOf = Object.prototype.valueOf;

/** The smallest size to place for a call Node would serve from its pool below Buffer.poolSize / 2. */
const pooledMinimum = (): number => Math.max(threshold, Buffer.poolSize >>> 1);

/** Whether `size` is a length the mode places: an integer Node accepts, at least `minimum`. */
const placeable = (size: unknown, minimum: number): size is number =>
  typeof size === 'number' && size >= minimum && size <= constants.MAX_LENGTH && Number.isInteger(size);

/**
 * Page-aligned memory, or null (counted) when the allocator cannot give it. Unzeroed it may hold
 * an earlier Buffer's bytes: for callers that overwrite it all, or promise no contents.
 */
function place(size: number, zeroed: boolean): Buffer | null {
  let buffer: Buffer | null;
  try {
    buffer = allocatePageAligned(size, zeroed);
  } catch {
    buffer = null; // ENOMEM, the mapping limit: Node's memory will do
  }
  if (buffer === null) count(left.fallback, size);
  return buffer;
}

/**
 * Counts a Buffer Node made for a call the mode did not place. Node's functions may come back
 * through ours (Node 20's Buffer.from of a long string calls Buffer.allocUnsafeSlow), which
 * then placed and counted it: `placedBefore` tells.
 */
function leftToNode(buffer: Buffer, minimum: number, placedBefore: number): Buffer {
  if (placed.buffers !== placedBefore) return buffer;
  count(buffer.length < minimum ? left.belowThreshold : left.otherArguments, buffer.length);
  return buffer;
}

// Set while Node's own function serves a call the allocator could not: if it comes back
// through ours, it must not try (and count) the allocator a second time.
let nodeOnly = false;

function fallBack<T>(make: () => T): T {
  nodeOnly = true;
  try {
    return make();
  } finally {
    nodeOnly = false;
  }
}

function wrapFactories(nodes: Factories): Factories {
  // Node's functions are called with Buffer as `this`, as the app would have called them.
  const nodeAlloc = (size: number, fill?: string | Uint8Array | number, encoding?: BufferEncoding): Buffer =>
    nodes.alloc.call(Buffer, size, fill, encoding);
  const nodeAllocUnsafe = (size: number): Buffer => nodes.allocUnsafe.call(Buffer, size);
  const nodeAllocUnsafeSlow = (size: number): Buffer => nodes.allocUnsafeSlow.call(Buffer, size);
  const nodeFrom = (value: unknown, encodingOrOffset: unknown, length: unknown): Buffer =>
    (nodes.from as (...args: unknown[]) => Buffer).call(Buffer, value, encodingOrOffset, length);

  const alloc = function alloc(size: number, fill?: string | Uint8Array | number, encoding?: BufferEncoding): Buffer {
    if (nodeOnly) return nodeAlloc(size, fill, encoding);
    if (!placeable(size, threshold)) return leftToNode(nodeAlloc(size, fill, encoding), threshold, placed.buffers);
    const buffer = place(size, true);
    if (buffer === null) return fallBack(() => nodeAlloc(size, fill, encoding));
    // Node fills through the same _fill as Buffer.prototype.fill; zero needs no filling.
    if (fill !== undefined && fill !== 0) buffer.fill(fill as string, 0, size, encoding as BufferEncoding);
    count(placed, size);
    return buffer;
  };
  const allocUnsafe = function allocUnsafe(size: number): Buffer {
    if (nodeOnly) return nodeAllocUnsafe(size);
    const minimum = pooledMinimum();
    if (!placeable(size, minimum)) return leftToNode(nodeAllocUnsafe(size), minimum, placed.buffers);
    return counted(place(size, false)) ?? fallBack(() => nodeAllocUnsafe(size));
  };
  const allocUnsafeSlow = function allocUnsafeSlow(size: number): Buffer {
    if (nodeOnly) return nodeAllocUnsafeSlow(size);
    if (!placeable(size, threshold)) return leftToNode(nodeAllocUnsafeSlow(size), threshold, placed.buffers);
    return counted(place(size, false)) ?? fallBack(() => nodeAllocUnsafeSlow(size));
  };
  const from = function from(value: unknown, encodingOrOffset?: unknown, length?: unknown): Buffer {
    if (nodeOnly) return nodeFrom(value, encodingOrOffset, length);
    if (typeof value === 'string') return fromString(value, encodingOrOffset);
    // Not an object: Node's TypeError. An ArrayBuffer: a view over it, not a copy.
    if (typeof value !== 'object' || value === null || types.isAnyArrayBuffer(value)) {
      return nodeFrom(value, encodingOrOffset, length);
    }
    const minimum = pooledMinimum();
    // Node first converts through valueOf(); a Uint8Array or an array whose valueOf is the
    // standard one converts to itself, and Node then copies its elements.
    if ((value as { valueOf: unknown }).valueOf !== objectValueOf || !(types.isUint8Array(value) || Array.isArray(value))) {
      return leftToNode(nodeFrom(value, encodingOrOffset, length), minimum, placed.buffers);
    }
    const source = value as ArrayLike<number>;
    if (!placeable(source.length, minimum)) return leftToNode(nodeFrom(value, encodingOrOffset, length), minimum, placed.buffers);
    const buffer = place(source.length, false);
    if (buffer === null) return fallBack(() => nodeFrom(value, encodingOrOffset, length));
    buffer.set(source); // every byte
    count(placed, buffer.length);
    return buffer;
  };
  /** A string: placed when its byte length is large enough and written exactly. */
  function fromString(value: string, encoding: unknown): Buffer {
    const named = typeof encoding === 'string' && encoding.length !== 0;
    const minimum = pooledMinimum();
    // An encoding given as a non-empty string must be one Node knows (Node throws), and no
    // encoding takes more than 3 bytes per UTF-16 unit: most small strings stop here, unmeasured.
    if ((named && !Buffer.isEncoding(encoding)) || value.length * 3 < minimum) {
      return leftToNode(nodeFrom(value, encoding, undefined), minimum, placed.buffers);
    }
    const name = named ? encoding as BufferEncoding : 'utf8';
    const size = Buffer.byteLength(value, name);
    if (!placeable(size, minimum)) return leftToNode(nodeFrom(value, encoding, undefined), minimum, placed.buffers);
    const buffer = place(size, false);
    if (buffer === null) return fallBack(() => nodeFrom(value, encoding, undefined));
    // byteLength can overestimate (invalid base64 or hex): what Node then gives (the view's
    // length, its ArrayBuffer's) differs between versions, so Node makes this one.
    if (buffer.write(value, 0, size, name) !== size) return leftToNode(nodeFrom(value, encoding, undefined), minimum, placed.buffers);
    count(placed, size);
    return buffer;
  }
  return { alloc, allocUnsafe, allocUnsafeSlow, from } as Factories;
}

function counted(buffer: Buffer | null): Buffer | null {
  if (buffer !== null) count(placed, buffer.length);
  return buffer;
}

/**
 * Turns transparent mode on in this thread: from now on Buffer.alloc, allocUnsafe,
 * allocUnsafeSlow and from (copies), and through them Buffer.concat, `new Buffer` and the fs
 * readFile family, give Buffers of at least `threshold` bytes page-aligned mergeable memory.
 * Meant for start-up (NODE_KSM_MERGE=buffers does it through node-ksm/register). Calling it
 * again changes the threshold. Throws KsmUnsupportedError where KSM cannot be used, and
 * changes nothing then. Never for processes whose large Buffers hold secrets: see the
 * README's Security section.
 */
export function enableTransparentMode(options?: TransparentModeOptions): void {
  const { threshold: wanted = DEFAULT_THRESHOLD } = validateOptions<TransparentModeOptions>(options);
  validateInteger(wanted, 'options.threshold', 1, constants.MAX_LENGTH);
  // Fails here, not at the first Buffer, where the addon or KSM is missing.
  if (allocatePageAligned(1) === null) {
    throw new KsmUnsupportedError(['this runtime refuses ArrayBuffers over memory from outside its heap (the V8 sandbox), ' +
      'so Buffers cannot be placed in mergeable memory']);
  }
  threshold = wanted;
  if (installed !== undefined) return;
  const node = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow, from: Buffer.from };
  installed = { node, ours: wrapFactories(node) };
  placed = tally();
  left = noneLeft();
  Object.assign(Buffer, installed.ours);
}

/**
 * Turns transparent mode off in this thread: Buffer's functions are Node's again (those that
 * someone else replaced since are left as they are). Buffers already placed stay valid.
 */
export function disableTransparentMode(): void {
  if (installed === undefined) return;
  const { node, ours } = installed;
  for (const key of Object.keys(node) as (keyof Factories)[]) {
    if (Buffer[key] === ours[key]) (Buffer as unknown as Record<string, unknown>)[key] = node[key];
  }
  installed = undefined;
}

/** What transparent mode placed in mergeable memory and what it left to Node, in this thread. */
export function transparentModeStats(): TransparentModeStats {
  const { belowThreshold, fallback, otherArguments } = left;
  return {
    enabled: installed !== undefined,
    threshold,
    placed: { ...placed },
    left: { belowThreshold: { ...belowThreshold }, fallback: { ...fallback }, otherArguments: { ...otherArguments } },
  };
}
