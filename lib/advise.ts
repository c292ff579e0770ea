// Marking memory mergeable, unmarking it, and asking the kernel whether it is marked.
import { resolveByteRange, validateMemory, validateMemoryList } from './args.js';
import { toKsmError } from './errors.js';
import { addon, callAddon } from './kernel/addon.js';
import { withHint } from './kernel/hints.js';
import { checkMappingRoom, recheckMappingRoom } from './kernel/mapping-limit.js';
import { advisedPages } from './kernel/parse.js';
import { areRangesMarkedMergeable, isRangeMarkedMergeable } from './kernel/smaps.js';
import type { AdviseOptions, MemoryLike } from './types.js';

/** The whole pages a call advised, as byte offsets within the view: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#advisedrange */
export interface AdvisedRange {
  start: number;
  end: number;
  bytes: number;
  pages: number;
}

// A mark on memory the allocator does not own (a Buffer.alloc's heap pages) must end when that
// memory is freed: malloc gives it to the next allocation, which would sit in mergeable pages
// though nobody chose that. The memory can move to another ArrayBuffer (transfer,
// structuredClone, postMessage) and V8 frees it without telling anyone, so the addon holds it
// while it is marked (native/core/heap_marks.h) and a sweep unmarks and lets go of what no
// ArrayBuffer holds any more. Sweeps run soon after a marked ArrayBuffer is collected, and every
// second while marks are held (an ArrayBuffer the memory moved to dies unseen). Unref'd.
const SWEEP_INTERVAL_MS = 1000;
const watched = new WeakSet<ArrayBufferLike>();
let sweepSoon = false;
const sweepWhenCollected = new FinalizationRegistry<undefined>(() => {
  if (sweepSoon) return;
  sweepSoon = true;
  queueMicrotask(() => {
    sweepSoon = false;
    addon().sweepMarks();
  });
});
let sweepTimer: NodeJS.Timeout | undefined;

/** Sees that the marks a call makes on `buffer`'s memory, if heap memory, are swept. */
function watchMarks(buffer: ArrayBufferLike): void {
  if (!watched.has(buffer)) {
    watched.add(buffer);
    sweepWhenCollected.register(buffer, undefined);
  }
  sweepTimer ??= setInterval(() => {
    if (addon().sweepMarks() > 0) return;
    clearInterval(sweepTimer);
    sweepTimer = undefined;
  }, SWEEP_INTERVAL_MS).unref();
}

function advise(view: unknown, options: unknown, mergeable: boolean): AdvisedRange {
  validateMemory(view, 'view');
  const { offset, length } = options === undefined ? { offset: 0, length: view.byteLength }
    : resolveByteRange(options, view.byteLength);
  // callAddon's work, inlined: this is the hot path, and a closure per call shows in the bench.
  const loaded = addon();
  checkMappingRoom();
  let start: number;
  try {
    if (mergeable) watchMarks(ArrayBuffer.isView(view) ? view.buffer : view);
    start = loaded.advise(view, offset, length, mergeable, mergeable);
  } catch (error) {
    recheckMappingRoom();
    throw withHint(toKsmError(error));
  }
  return advisedPages(offset, length, start, loaded.pageSize);
}

/** Marks the whole pages inside the view mergeable (madvise MADV_MERGEABLE): https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#markmergeableview-options-advisedrange */
export function markMergeable(view: MemoryLike, options?: AdviseOptions): AdvisedRange {
  return advise(view, options, true);
}

/** Undoes markMergeable (madvise MADV_UNMERGEABLE): https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#unmarkmergeableview-options-advisedrange */
export function unmarkMergeable(view: MemoryLike, options?: AdviseOptions): AdvisedRange {
  return advise(view, options, false);
}

/** Whether the kernel made the view's whole pages mergeable; reads smaps, so not for hot paths: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ismarkedmergeableview-boolean */
export function isMarkedMergeable(view: MemoryLike): boolean {
  validateMemory(view, 'view');
  const { address, start, end } = callAddon((loaded) => loaded.pageSpan(view));
  return isRangeMarkedMergeable(address + start, address + end);
}

/** isMarkedMergeable for many views, from one read of smaps: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#aremarkedmergeableviews-boolean */
export function areMarkedMergeable(views: readonly MemoryLike[]): boolean[] {
  validateMemoryList(views, 'views');
  const ranges = callAddon((loaded) => views.map((view) => {
    const { address, start, end } = loaded.pageSpan(view);
    return [address + start, address + end] as const;
  }));
  return areRangesMarkedMergeable(ranges);
}
