// Process-wide merge: every private anonymous mapping of the process mergeable (Linux 6.4+).
import { callAddon } from './kernel/addon.js';

/**
 * Makes every current and future private anonymous mapping of this process mergeable
 * (prctl PR_SET_MEMORY_MERGE, Linux 6.4+). Children made by fork inherit it; exec'd
 * children (cluster workers, child_process.fork) inherit it only from Linux 6.7.
 * It makes everything mergeable, secrets included: see the README's Security section.
 */
export function enableProcessMerge(): void {
  callAddon((addon) => addon.setProcessMerge(true));
}

/**
 * Turns process-wide merge off; the kernel unmerges the process's merged pages and clears
 * every mapping's mark, then what this process chose is marked again: the allocator's memory
 * (less what its user unmarked) and markMergeable's marks on buffers still alive.
 */
export function disableProcessMerge(): void {
  callAddon((addon) => addon.setProcessMerge(false));
}

/** Whether process-wide merge is on (prctl PR_GET_MEMORY_MERGE). */
export function isProcessMergeEnabled(): boolean {
  return callAddon((addon) => addon.getProcessMerge());
}
