import { validateMemory } from './args.js';
import { callAddon, type PageState } from './kernel/addon.js';
import { isRangeMarkedMergeable } from './kernel/smaps.js';
import type { MemoryLike } from './types.js';

/** What the kernel says of a view's whole pages. */
export interface PageInspection {
  /** Whole pages of the view (partial first and last pages are not counted). */
  pages: number;
  /** Pages backed by memory now (/proc/self/pagemap); undefined if pagemap cannot be read. */
  present: number | undefined;
  /** Pages whose frame is a KSM page (KPF_KSM in /proc/kpageflags); undefined without root. */
  merged: number | undefined;
  /** Pages mapped to the kernel's zero page (KPF_ZERO_PAGE); undefined without root. */
  zeroPages: number | undefined;
  /** Every whole page lies in a mergeable mapping (the `mg` VmFlag in /proc/self/smaps). */
  marked: boolean;
}

/** @internal Diagnostics: the addon's reading, with how many reads it took, for tests and the bench. */
export function inspectPages(view: MemoryLike): PageState {
  validateMemory(view, 'view');
  return callAddon((addon) => addon.inspectPages(view));
}

/**
 * Which of the view's whole pages are present, merged by KSM and mapped to the zero page, and
 * whether they are marked mergeable. Reads /proc/self/pagemap once, and /proc/kpageflags once
 * per cluster of nearby frames: the kernel scatters a buffer's frames over RAM and charges for
 * every frame a read covers, so one read over their whole span would cost far more. Without the
 * privilege to see frame numbers (CAP_SYS_ADMIN) merged and zeroPages are undefined.
 */
export function inspect(view: MemoryLike): PageInspection {
  const state = inspectPages(view);
  return {
    pages: state.pages,
    present: state.present,
    merged: state.merged,
    zeroPages: state.zeroPages,
    marked: isRangeMarkedMergeable(state.address + state.start, state.address + state.end),
  };
}
