// Process-wide merge: every private anonymous mapping of the process mergeable (Linux 6.4+).
import { callAddon } from './kernel/addon.js';

/** Makes all of this process's private memory mergeable (prctl PR_SET_MEMORY_MERGE): https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#enableprocessmerge-void */
export function enableProcessMerge(): void {
  callAddon((addon) => addon.setProcessMerge(true));
}

/** Turns process-wide merge off, then marks again what this process chose: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#disableprocessmerge-void */
export function disableProcessMerge(): void {
  callAddon((addon) => addon.setProcessMerge(false));
}

/** Whether process-wide merge is on (prctl PR_GET_MEMORY_MERGE): https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#isprocessmergeenabled-boolean */
export function isProcessMergeEnabled(): boolean {
  return callAddon((addon) => addon.getProcessMerge());
}
