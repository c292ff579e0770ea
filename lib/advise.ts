import { resolveByteRange, validateMemory, type ByteRangeOptions } from './args.js';
import { toKsmError } from './errors.js';
import { withHint } from './hints.js';
import { checkMappingRoom, recheckMappingRoom } from './mapping-limit.js';
import { native } from './native.js';

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
  const { offset, length } = options === undefined ? { offset: 0, length: view.byteLength }
    : resolveByteRange(options, view.byteLength);
  // callNative's work, inlined: this is the hot path, and a closure per call shows in the bench.
  const binding = native();
  checkMappingRoom();
  let start: number;
  try {
    start = binding.advise(view, offset, length, mergeable);
  } catch (error) {
    recheckMappingRoom();
    throw withHint(toKsmError(error));
  }
  if (start < 0) return { start: offset, end: offset, bytes: 0, pages: 0 };
  // From the first page boundary, every whole page up to the end of the range was advised.
  const pages = Math.floor((offset + length - start) / binding.pageSize);
  const bytes = pages * binding.pageSize;
  return { start, end: start + bytes, bytes, pages };
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
