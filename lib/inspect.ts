import { validateMemory } from './args.js';
import { callAddon, type PageState } from './kernel/addon.js';
import { isRangeMarkedMergeable } from './kernel/smaps.js';
import type { MemoryLike } from './types.js';

/** What inspect() reports of a view's whole pages: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#pageinspection */
export interface PageInspection {
  pages: number;
  present: number | undefined;
  merged: number | undefined;
  zeroPages: number | undefined;
  marked: boolean;
}

/** @internal Diagnostics: the addon's reading, with how many reads it took, for tests and the bench. */
export function inspectPages(view: MemoryLike): PageState {
  validateMemory(view, 'view');
  return callAddon((addon) => addon.inspectPages(view));
}

/** Which of the view's whole pages are present, merged, zero pages and marked: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#inspectview-pageinspection */
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
