import { resolveByteRange, validateMemory, type ByteRangeOptions } from './args.js';
import { callNative } from './native.js';

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

function advise(view: unknown, options: unknown, mergeable: boolean): AdvisedRange {
  validateMemory(view, 'view');
  const { offset, length } = resolveByteRange(options, view.byteLength);
  return callNative((binding) => {
    const { start, end } = binding.advise(view, offset, length, mergeable);
    return { start, end, bytes: end - start, pages: (end - start) / binding.pageSize };
  });
}

/**
 * Marks the whole pages inside the view (or its [offset, offset + length) range) mergeable
 * with madvise(MADV_MERGEABLE). The partial pages at an unaligned start or end cannot be
 * marked; a range holding no whole page returns pages: 0 without a system call.
 * Never mark memory holding secrets: see the README's Security section.
 */
export function markMergeable(view: ArrayBuffer | ArrayBufferView, options?: AdviseOptions): AdvisedRange {
  return advise(view, options, true);
}

/**
 * Undoes markMergeable with madvise(MADV_UNMERGEABLE): merged pages are copied back, which
 * needs memory and can fail with EAGAIN or ENOMEM under pressure.
 */
export function unmarkMergeable(view: ArrayBuffer | ArrayBufferView, options?: AdviseOptions): AdvisedRange {
  return advise(view, options, false);
}
