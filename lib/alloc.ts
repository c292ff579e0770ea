// Page-aligned mergeable memory: the only way two copies of the same data reliably sit at the
// same offset within their pages, without splitting the heap into thousands of mappings.
import fs from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { types } from 'node:util';
import { markMergeable } from './advise.js';
import {
  throwIfAborted, validateEncoding, validateFill, validateFromData, validateInteger, validateOptions, validatePath,
  validateSignal, validateSize,
} from './args.js';
import { KsmError, rangeErrorWithCode, toKsmError } from './errors.js';
import { addon, callAddon } from './kernel/addon.js';
import type { MemoryLike } from './types.js';

let externalBuffers: boolean | undefined;

/**
 * Whether this runtime accepts the addon's external buffers: undefined until the first
 * allocation, false where the V8 sandbox refuses them and plain marked Buffers stand in.
 */
export function externalBuffersAllowed(): boolean | undefined {
  return externalBuffers;
}

// The allocator keeps freed memory for reuse, so that churn costs what Buffer.alloc costs.
// Once this thread stops allocating, a timer gives it back to the kernel: each tick asks the
// allocator, which returns its spare memory when nothing was allocated since the tick before.
// Unref'd: it never keeps a process alive.
const TRIM_INTERVAL_MS = 1000;
let trimTimer: NodeJS.Timeout | undefined;

let trimmingHeld = false;

/**
 * @internal For tests of slot reuse: while held, the timer gives nothing back (a slot given back
 * between a free and the next allocation is reused clean, not dirty, whatever the test meant).
 */
export function holdTrimming(hold: boolean): void {
  trimmingHeld = hold;
}

function scheduleTrim(): void {
  if (trimTimer !== undefined) return;
  trimTimer = setInterval(() => {
    if (trimmingHeld || addon().trimAllocator()) return;
    clearInterval(trimTimer);
    trimTimer = undefined;
  }, TRIM_INTERVAL_MS).unref();
}

// V8 collects its young generation early when the ArrayBuffers it allocates itself hold more
// than about twice its semi-space: it asks as it allocates one. ArrayBuffers over outside
// memory, like ours, never ask, so a loop dropping our Buffers ran until V8's external memory
// limit forced a full, far costlier, collection. One tiny V8-allocated ArrayBuffer for each MiB
// handed out lets V8 ask.
const LET_V8_CHECK_EVERY_BYTES = 1024 * 1024;
let sinceV8Checked = 0;

function letV8CheckYoungMemory(length: number): void {
  sinceV8Checked += length;
  if (sinceV8Checked < LET_V8_CHECK_EVERY_BYTES) return;
  sinceV8Checked = 0;
  void new ArrayBuffer(1);
}

// Node's own Buffer.from and allocUnsafe, kept in case transparent mode (or anyone) wraps the
// ones on Buffer: a read's scratch chunks need no mergeable memory.
const bufferFrom = Buffer.from;
const bufferAllocUnsafe = Buffer.allocUnsafe;
// The class Node makes its Buffers with (Buffer[Symbol.species], a Uint8Array whose prototype is
// Buffer.prototype): a Buffer over an ArrayBuffer without Buffer.from's argument dispatch, which
// transparent mode pays for on each Buffer it places. Buffer.from where a Node has no such class.
const Species = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species] as
  (new (memory: ArrayBuffer) => Buffer) | undefined;
const wrap: (memory: ArrayBuffer) => Buffer = typeof Species === 'function' && Species.prototype === Buffer.prototype
  ? (memory) => new Species(memory)
  : (memory) => Reflect.apply(bufferFrom, Buffer, [memory]) as Buffer;

/**
 * @internal `length` (> 0) bytes of page-aligned mergeable memory (its contents: AllocateBlock,
 * native/core/allocator.h), or null where this runtime refuses ArrayBuffers over memory from
 * outside its heap. Throws KsmError when the kernel refuses (ENOMEM, the mapping limit).
 */
export function allocatePageAligned(length: number, zeroed = true): Buffer | null {
  if (externalBuffers === false) return null;
  const memory = callAddon((loaded) => loaded.allocate(length, zeroed));
  externalBuffers = memory !== null;
  if (memory === null) return null;
  scheduleTrim();
  letV8CheckYoungMemory(length);
  return wrap(memory);
}

/** `length` bytes of mergeable memory, page-aligned unless the runtime refuses; see allocatePageAligned. */
function allocate(length: number, zeroed = true): Buffer {
  if (length === 0) return Buffer.alloc(0);
  const memory = allocatePageAligned(length, zeroed);
  if (memory !== null) return memory;
  // Fallback: a plain Buffer, its whole interior pages marked. Copies of the same data merge
  // only where the allocator happens to align them alike.
  const plain = Buffer.alloc(length);
  markMergeable(plain);
  return plain;
}

/**
 * The first `filled` bytes of a buffer that was sized for more (a string's byteLength that
 * overestimated, a file that shrank). The rest stays zero, as allocated, so it shows nothing
 * through `.buffer` and the last page of equal copies stays equal.
 */
function keepFilled(buffer: Buffer, filled: number): Buffer {
  return filled < buffer.length ? buffer.subarray(0, filled) : buffer;
}

/** A Buffer in page-aligned mergeable memory, zero-filled or filled: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#allocmergeablesize-fill-encoding-buffer */
export function allocMergeable(size: number, fill?: string | Uint8Array | number, encoding?: BufferEncoding): Buffer {
  validateSize(size);
  validateFill(fill);
  validateEncoding(encoding);
  const buffer = allocate(size);
  // Mergeable memory comes zeroed: filling it with zeros would only touch every page.
  if (fill === undefined || fill === 0 || size === 0) return buffer;
  return encoding === undefined ? buffer.fill(fill) : buffer.fill(fill, encoding);
}

/** A copy of data in page-aligned mergeable memory: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#mergeablefromdata-encoding-buffer */
export function mergeableFrom(data: string | MemoryLike | SharedArrayBuffer,
  encoding: BufferEncoding = 'utf8'): Buffer {
  validateEncoding(encoding);
  validateFromData(data);
  if (typeof data === 'string') {
    const buffer = allocate(Buffer.byteLength(data, encoding));
    // byteLength can overestimate (invalid base64 or hex): keep what was really written.
    return keepFilled(buffer, buffer.write(data, encoding));
  }
  const bytes = types.isArrayBufferView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data as ArrayBufferLike);
  const buffer = allocate(bytes.byteLength, false); // every byte overwritten here
  buffer.set(bytes);
  return buffer;
}

/** Node's error for a file larger than `limit`; `size` may be a lower bound ("more than"). */
function fileTooLarge(size: number | string, limit: number): RangeError {
  return rangeErrorWithCode(`File size (${size}) is greater than ${limit} bytes`, 'ERR_FS_FILE_TOO_LARGE');
}

/** Mergeable memory for a file of `size` bytes, with Node's error for one past `limit`. */
function allocateForFile(size: number, limit: number): Buffer {
  if (size > limit) throw fileTooLarge(size, limit);
  return allocate(size);
}

/** The most bytes a read may return: options.maxBytes, else as much as a Buffer holds. */
function maxBytesOf(options: ReadFileMergeableSyncOptions): number {
  if (options.maxBytes === undefined) return bufferConstants.MAX_LENGTH;
  validateInteger(options.maxBytes, 'options.maxBytes', 0, bufferConstants.MAX_LENGTH);
  return options.maxBytes;
}

// O_NONBLOCK, so that opening a FIFO returns at once instead of waiting for a writer; the file
// is then refused by refuseUnlessRegular before anything is read. No effect on regular files.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

// As fs.promises.readFile reads: 64 KiB at a time from files that report size 0 (/proc, /sys),
// and, for readFileMergeableAsync with a signal, 512 KiB of a regular file between two looks at it.
const UNKNOWN_SIZE_CHUNK = 64 * 1024;
const SIGNAL_CHUNK = 512 * 1024;

function kindOf(stats: fs.Stats): string {
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  // A Unix socket never gets here: open() refuses it (ENXIO).
  return 'not a regular file';
}

function pathText(path: fs.PathLike): string {
  if (typeof path === 'string') return path;
  return path instanceof URL ? fileURLToPath(path) : Buffer.from(path).toString();
}

/**
 * Devices and FIFOs can block or never end (/dev/zero, /dev/urandom): only regular
 * files are read, /proc and /sys files included. Directories go on to fail as fs fails them
 * (EISDIR).
 */
function refuseUnlessRegular(stats: fs.Stats, path: fs.PathLike): void {
  if (stats.isFile() || stats.isDirectory()) return;
  const file = pathText(path);
  throw new KsmError(`'${file}' is ${kindOf(stats)}: readFileMergeable reads only regular files, since a ` +
    'device or pipe may block or never end', { code: 'ERR_KSM_NOT_REGULAR_FILE', path: file });
}

/** Chunks read from a file that reports size 0, copied into mergeable memory at the end. */
class Chunks {
  private readonly list: Buffer[] = [];
  private total = 0;

  constructor(private readonly limit: number) {}

  /** A buffer to read the next chunk into. */
  next(): Buffer {
    return bufferAllocUnsafe(UNKNOWN_SIZE_CHUNK);
  }

  /** Keeps the first `read` bytes of `chunk`; past the limit, throws (the chunks go with it). */
  keep(chunk: Buffer, read: number): void {
    this.total += read;
    if (this.total > this.limit) throw fileTooLarge(`more than ${this.limit}`, this.limit);
    this.list.push(chunk.subarray(0, read));
  }

  toMergeable(): Buffer {
    const buffer = allocate(this.total, false); // every byte overwritten here
    let at = 0;
    for (const chunk of this.list) at += chunk.copy(buffer, at);
    return buffer;
  }
}

/** One read a file needs: into `buffer` at `offset`, at most `length` bytes, from `position` (null: where it is). */
interface ReadRequest {
  buffer: Buffer;
  offset: number;
  length: number;
  position: number | null;
}

/**
 * The reads a file needs, written once for the sync and async drivers: yields each read, is
 * sent the bytes it returned, and returns the file's bytes in mergeable memory (regular files
 * straight in, one copy). Reads of a regular file ask for at most `most` bytes each. `check`
 * runs before each read and, for a file of known size, after the last: the async read's abort.
 */
function* readPlan(stats: fs.Stats, path: fs.PathLike, limit: number,
  { most = Infinity, check = () => {} }: { most?: number; check?: () => void } = {},
): Generator<ReadRequest, Buffer, number> {
  refuseUnlessRegular(stats, path);
  if (stats.size === 0) { // /proc, /sys: the size is unknown until the end is read
    const chunks = new Chunks(limit);
    for (;;) {
      check();
      const chunk = chunks.next();
      const read = yield { buffer: chunk, offset: 0, length: chunk.length, position: null };
      if (read === 0) return chunks.toMergeable();
      chunks.keep(chunk, read);
    }
  }
  const buffer = allocateForFile(stats.size, limit);
  let filled = 0;
  while (filled < stats.size) {
    check();
    const read = yield { buffer, offset: filled, length: Math.min(stats.size - filled, most), position: filled };
    if (read === 0) break;
    filled += read;
  }
  check();
  return keepFilled(buffer, filled); // less than size if the file shrank
}

/** Reads from an open file into mergeable memory. */
function readOpenFile(fd: number, path: fs.PathLike, limit: number): Buffer {
  const plan = readPlan(fs.fstatSync(fd), path, limit);
  for (let step = plan.next(); ; ) {
    if (step.done) return step.value;
    const { buffer, offset, length, position } = step.value;
    step = plan.next(fs.readSync(fd, buffer, offset, length, position));
  }
}

/** readOpenFile on libuv's thread pool, looking at the signal before each read and after the last. */
async function readOpenHandle(handle: fs.promises.FileHandle, path: fs.PathLike, limit: number,
  signal: AbortSignal | undefined): Promise<Buffer> {
  throwIfAborted(signal);
  // Without a signal, one read asks for everything; with one, a chunk at a time.
  const plan = readPlan(await handle.stat(), path, limit,
    { most: signal ? SIGNAL_CHUNK : Infinity, check: () => throwIfAborted(signal) });
  for (let step = plan.next(); ; ) {
    if (step.done) return step.value;
    const { buffer, offset, length, position } = step.value;
    step = plan.next((await handle.read(buffer, offset, length, position)).bytesRead);
  }
}

/** What both forms of readFileMergeable take: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#readfilemergeablesyncoptions */
export interface ReadFileMergeableSyncOptions {
  maxBytes?: number;
}

/** A file's bytes, read straight into page-aligned mergeable memory: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#readfilemergeablepath-options-buffer-readfilemergeableasyncpath-options-promisebuffer */
export function readFileMergeable(path: fs.PathLike, options?: ReadFileMergeableSyncOptions): Buffer {
  validatePath(path);
  const limit = maxBytesOf(validateOptions<ReadFileMergeableSyncOptions>(options));
  try {
    const fd = fs.openSync(path, OPEN_FLAGS);
    try {
      return readOpenFile(fd, path, limit);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw toKsmError(error);
  }
}

/** What readFileMergeableAsync takes: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#readfilemergeableoptions */
export interface ReadFileMergeableOptions extends ReadFileMergeableSyncOptions {
  signal?: AbortSignal;
}

/** readFileMergeable on libuv's thread pool: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#readfilemergeablepath-options-buffer-readfilemergeableasyncpath-options-promisebuffer */
export async function readFileMergeableAsync(path: fs.PathLike, options?: ReadFileMergeableOptions): Promise<Buffer> {
  validatePath(path);
  const checked = validateOptions<ReadFileMergeableOptions>(options);
  const signal = validateSignal(checked.signal);
  const limit = maxBytesOf(checked);
  throwIfAborted(signal);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path, OPEN_FLAGS);
  } catch (error) {
    throw toKsmError(error);
  }
  try {
    return await readOpenHandle(handle, path, limit, signal);
  } catch (error) {
    throw toKsmError(error);
  } finally {
    await handle.close().catch(() => {}); // a failed close must not hide the real error
  }
}
