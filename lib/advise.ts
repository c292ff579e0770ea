// Marking memory mergeable, unmarking it, and asking the kernel whether it is marked.
import { resolveByteRange, validateMemory, validateMemoryList, type ByteRangeOptions, type MemoryLike } from './args.js';
import { toKsmError } from './errors.js';
import { callNative, native } from './kernel/addon.js';
import { withHint } from './kernel/hints.js';
import { checkMappingRoom, recheckMappingRoom } from './kernel/mapping-limit.js';
import { advisedPages } from './kernel/parse.js';
import { areRangesMarkedMergeable, isRangeMarkedMergeable } from './kernel/smaps.js';

/** The whole pages a call advised, as byte offsets within the view. */
export interface AdvisedRange {
  /** Offset of the first whole page advised (equal to end when none was). */
  start: number;
  /** Offset just past the last whole page advised. */
  end: number;
  /** end - start. */
  bytes: number;
  /** Whole pages advised: bytes / page size. */
  pages: number;
}

export type AdviseOptions = ByteRangeOptions;

// A mark on memory the allocator does not own (a Buffer.alloc's heap pages) must not outlive
// that memory: malloc gives it to the next allocation, which would sit in mergeable pages
// though nobody chose that. So each ArrayBuffer marked gets a number, the addon records its
// marks under it, and when the ArrayBuffer is collected its marks are undone (all of one
// collection's in one call). A thread's numbers are its own; the addon tells threads apart.
const owners = new WeakMap<ArrayBufferLike, number>();
let lastOwner = 0;
let collected: number[] = [];
const unmarkWhenCollected = new FinalizationRegistry<number>((owner) => {
  if (collected.push(owner) > 1) return;
  queueMicrotask(() => {
    const owners = collected;
    collected = [];
    native().releaseMarks(owners);
  });
});

function ownerOf(buffer: ArrayBufferLike): number {
  let owner = owners.get(buffer);
  if (owner === undefined) {
    lastOwner = lastOwner === 0xffffffff ? 1 : lastOwner + 1;
    owner = lastOwner;
    owners.set(buffer, owner);
    unmarkWhenCollected.register(buffer, owner);
  }
  return owner;
}

function advise(view: unknown, options: unknown, mergeable: boolean): AdvisedRange {
  validateMemory(view, 'view');
  const { offset, length } = options === undefined ? { offset: 0, length: view.byteLength }
    : resolveByteRange(options, view.byteLength);
  // callNative's work, inlined: this is the hot path, and a closure per call shows in the bench.
  const binding = native();
  checkMappingRoom();
  let start: number;
  try {
    const owner = mergeable ? ownerOf(ArrayBuffer.isView(view) ? view.buffer : view) : 0;
    start = binding.advise(view, offset, length, mergeable, owner);
  } catch (error) {
    recheckMappingRoom();
    throw withHint(toKsmError(error));
  }
  return advisedPages(offset, length, start, binding.pageSize);
}

/**
 * Marks the whole pages inside the view (or its [offset, offset + length) range) mergeable
 * with madvise(MADV_MERGEABLE). The partial pages at an unaligned start or end cannot be
 * marked; a range holding no whole page returns pages: 0 without a system call.
 * Never mark memory holding secrets: see the README's Security section.
 */
export function markMergeable(view: MemoryLike, options?: AdviseOptions): AdvisedRange {
  return advise(view, options, true);
}

/**
 * Undoes markMergeable with madvise(MADV_UNMERGEABLE): merged pages are copied back, which
 * needs memory and can fail with EAGAIN or ENOMEM under pressure.
 */
export function unmarkMergeable(view: MemoryLike, options?: AdviseOptions): AdvisedRange {
  return advise(view, options, false);
}

/**
 * Whether the kernel really made the view's memory mergeable: true when every whole page of
 * the view lies in a mapping whose VmFlags in /proc/self/smaps carry `mg`. madvise succeeds
 * silently on memory KSM cannot merge (shared, file-backed), so this is the only proof.
 * A view with no whole page is not mergeable.
 *
 * Cost: every call reads /proc/self/smaps up to the view's last page, text the kernel builds
 * by walking the page tables of each mapping below it under the process's mmap lock. So it
 * grows with the mappings, and grows far more while other threads allocate (they contend for
 * that lock); docs/api.md gives measured figures. Keep it out of hot paths; to check many
 * views, areMarkedMergeable reads smaps once for all of them.
 */
export function isMarkedMergeable(view: MemoryLike): boolean {
  validateMemory(view, 'view');
  const { address, start, end } = callNative((binding) => binding.pageSpan(view));
  return isRangeMarkedMergeable(address + start, address + end);
}

/**
 * isMarkedMergeable for many views at the cost of one: one answer per view, in order, from a
 * single read of /proc/self/smaps (up to the highest last page among them).
 */
export function areMarkedMergeable(views: readonly MemoryLike[]): boolean[] {
  validateMemoryList(views, 'views');
  const ranges = callNative((binding) => views.map((view) => {
    const { address, start, end } = binding.pageSpan(view);
    return [address + start, address + end] as const;
  }));
  return areRangesMarkedMergeable(ranges);
}
