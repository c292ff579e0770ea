import fs from 'node:fs';
import { validateInteger } from './args.js';
import { invalidArgType } from './errors.js';
import { withHint } from './hints.js';
import { callNative, requireLinux } from './native.js';
import { parseKsmStat, parseMergingPages, type ProcessStats } from './parse.js';
import { readKernelFile, readOptionalKernelFile } from './procfs.js';

/**
 * Makes every current and future private anonymous mapping of this process mergeable
 * (prctl PR_SET_MEMORY_MERGE, Linux 6.4+). Children made by fork inherit it; exec'd
 * children (cluster workers, child_process.fork) inherit it only from Linux 6.7.
 * It makes everything mergeable, secrets included: see the README's Security section.
 */
export function enableProcessMerge(): void {
  callNative((binding) => binding.setProcessMerge(true));
}

/** Turns process-wide merge off; the kernel unmerges the process's merged pages. */
export function disableProcessMerge(): void {
  callNative((binding) => binding.setProcessMerge(false));
}

/** Whether process-wide merge is on (prctl PR_GET_MEMORY_MERGE). */
export function isProcessMergeEnabled(): boolean {
  return callNative((binding) => binding.getProcessMerge());
}

/** A process to read: 'self' or a pid. */
export type Pid = number | 'self';

function validatePid(pid: unknown): asserts pid is Pid {
  if (pid === 'self') return;
  if (typeof pid !== 'number') throw invalidArgType('pid', "a number or 'self'", pid);
  validateInteger(pid, 'pid', 1, 2 ** 31 - 1);
}

/**
 * KSM figures for a process from /proc/<pid>/ksm_stat, or /proc/<pid>/ksm_merging_pages on
 * kernels before 6.1; a field the kernel does not report is undefined. A process that does not
 * exist or may not be read throws KsmError with the file system's code (ENOENT, EACCES).
 */
export function processStats(pid: Pid = 'self'): ProcessStats {
  validatePid(pid);
  requireLinux();
  const dir = `/proc/${pid}`;
  let stat: string | undefined;
  try {
    stat = readOptionalKernelFile(`${dir}/ksm_stat`);
  } catch (error) {
    throw withHint(error);
  }
  if (stat !== undefined) return parseKsmStat(stat);
  const merging = readOptionalKernelFile(`${dir}/ksm_merging_pages`);
  if (merging !== undefined) return parseMergingPages(merging);
  // Neither file: a kernel older than 5.19, or no such process, which throws ENOENT here.
  if (!fs.existsSync(dir)) readKernelFile(`${dir}/ksm_stat`);
  return parseKsmStat('');
}
