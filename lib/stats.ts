// Merge statistics: one process's (/proc/<pid>), the system's (/sys/kernel/mm/ksm), and every
// process with merged pages (for `ksm status`).
import { validatePid, type Pid } from './args.js';
import { KSMD_FILES, parseKsmStat, parseMergingPages, parseVmstatKsm, savings, type KsmdValues,
  type ProcessStats } from './kernel/parse.js';
import { readOptionalKernelFile } from './kernel/files.js';
import { readKsmdValue } from './kernel/ksmd-files.js';
import { pageSize } from './kernel/page-size.js';
import { requireLinux } from './kernel/platform.js';
import { readAllProcessKsmTexts, readProcessCommand, readProcessKsmText } from './kernel/processes.js';

export type { KsmdValues, Pid, ProcessStats };

/** System-wide KSM figures: every /sys/kernel/mm/ksm value plus derived savings. */
export interface SystemStats extends KsmdValues {
  /** Bytes saved: pagesSharing x page size. */
  savedBytes: number | undefined;
  /** Sharers per KSM page: pagesSharing / pagesShared (0 when nothing is shared). */
  sharingRatio: number | undefined;
  /** Copy-on-write breaks of KSM pages since boot (/proc/vmstat cow_ksm). */
  cowKsm: number | undefined;
  /** KSM pages copied on swap-in (/proc/vmstat ksm_swpin_copy). */
  ksmSwpinCopy: number | undefined;
}

/**
 * KSM figures for a process from /proc/<pid>/ksm_stat, or /proc/<pid>/ksm_merging_pages on
 * kernels before 6.1; a field the kernel does not report is undefined. A process that does not
 * exist or may not be read throws KsmError with the file system's code (ENOENT, EACCES).
 */
export function processStats(pid: Pid = 'self'): ProcessStats {
  validatePid(pid);
  requireLinux();
  return statsOf(readProcessKsmText(pid));
}

function statsOf({ ksmStat, mergingPages }: { ksmStat?: string; mergingPages?: string }): ProcessStats {
  const stats = parseKsmStat(ksmStat ?? '');
  return mergingPages === undefined ? stats : { ...stats, mergingPages: parseMergingPages(mergingPages).mergingPages };
}

/**
 * Every value of /sys/kernel/mm/ksm (camelCase keys, numbers as numbers, files this kernel
 * lacks undefined), the KSM counters of /proc/vmstat, and derived savedBytes and sharingRatio.
 */
export function systemStats(): SystemStats {
  const values = {} as Record<string, unknown>;
  for (const key of Object.keys(KSMD_FILES) as (keyof KsmdValues)[]) values[key] = readKsmdValue(key);
  const ksmd = values as unknown as KsmdValues;
  const vmstat = readOptionalKernelFile('/proc/vmstat');
  return {
    ...ksmd,
    ...savings(ksmd, pageSize()),
    ...(vmstat === undefined ? { cowKsm: undefined, ksmSwpinCopy: undefined } : parseVmstatKsm(vmstat)),
  };
}

/** A process with merged pages, for `ksm status`. */
export interface ProcessEntry extends ProcessStats {
  pid: number;
  /** The command line (or, where it is empty, the command name). */
  command: string;
}

/**
 * @internal For the CLI. Processes whose pages KSM has merged, most merged pages first.
 * Processes this user may not read, and those that exit while being read, are left out.
 */
export function processesWithKsmPages(): ProcessEntry[] {
  requireLinux();
  const entries: ProcessEntry[] = [];
  for (const { pid, ...texts } of readAllProcessKsmTexts()) {
    const stats = statsOf(texts);
    if (stats.mergingPages) entries.push({ pid, command: readProcessCommand(pid), ...stats });
  }
  return entries.sort((a, b) => (b.mergingPages ?? 0) - (a.mergingPages ?? 0) || a.pid - b.pid);
}
