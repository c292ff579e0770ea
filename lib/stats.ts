// Merge statistics: one process's (/proc/<pid>), the system's (/sys/kernel/mm/ksm), and every
// process with merged pages (for `ksm status`).
import os from 'node:os';
import { validatePid } from './args.js';
import { KsmError } from './errors.js';
import { readKsmdValue, readVmstatKsm } from './kernel/ksmd-files.js';
import { pageSize } from './kernel/page-size.js';
import { KSMD_FILES, parseKsmStat, parseMergingPages, savings } from './kernel/parse.js';
import { requireLinux } from './kernel/platform.js';
import { isGone, readAllProcessKsmTexts, readProcessCommand, readProcessKsmText, readProcessMemory, type ProcessMemory,
  type UnreadableProcess } from './kernel/processes.js';
import type { KsmdValues, Pid, ProcessStats } from './types.js';

export type { ProcessMemory, UnreadableProcess };

/** KsmdValues, the KSM counters of /proc/vmstat, savedBytes and sharingRatio: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#systemstats-ksmdvalues */
export interface SystemStats extends KsmdValues {
  savedBytes: number | undefined;
  sharingRatio: number | undefined;
  cowKsm: number | undefined;
  ksmSwpinCopy: number | undefined;
}

/** A process's KSM figures, from /proc/<pid>/ksm_stat: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#processstatspid-processstats */
export function processStats(pid: Pid = 'self'): ProcessStats {
  validatePid(pid);
  requireLinux();
  return statsOf(readProcessKsmText(pid));
}

function statsOf({ ksmStat, mergingPages }: { ksmStat?: string; mergingPages?: string }): ProcessStats {
  const stats = parseKsmStat(ksmStat ?? '');
  return mergingPages === undefined ? stats : { ...stats, mergingPages: parseMergingPages(mergingPages).mergingPages };
}

/** System-wide KSM figures: /sys/kernel/mm/ksm, /proc/vmstat and the saving: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#systemstats-systemstats */
export function systemStats(): SystemStats {
  const values = {} as Record<string, unknown>;
  for (const key of Object.keys(KSMD_FILES) as (keyof KsmdValues)[]) values[key] = readKsmdValue(key);
  const ksmd = values as unknown as KsmdValues;
  const vmstat = readVmstatKsm();
  return { ...ksmd, ...savings(ksmd, pageSize()), ...vmstat };
}

/** A process as `ksm status` lists it: its KSM figures, memory and command line. */
export interface ProcessEntry extends ProcessStats, ProcessMemory {
  pid: number;
  /** The command line (or, where it is empty, the command name): any user's text, unescaped. */
  command: string;
}

/** What `ksm status` lists: the processes, and those this user may not read. */
export interface ProcessListing {
  /** Most merged pages first. */
  processes: ProcessEntry[];
  /** Processes whose KSM files this user may not read (EACCES: another user's), by pid. */
  unreadable: UnreadableProcess[];
}

/**
 * @internal For the CLI. Processes whose pages KSM has merged, most merged pages first, each
 * with its RSS and PSS (smaps_rollup, read only for these). Processes that exit while being
 * read are left out; those this user may not read are counted in `unreadable` (kernel threads
 * aside: they have no memory to merge). With `pids`, exactly those processes, merged pages or
 * not; one that does not exist throws KsmError ESRCH, one this user may not read EACCES.
 */
export function processesWithKsmPages({ pids }: { pids?: readonly number[] } = {}): ProcessListing {
  requireLinux();
  const { texts, unreadable } = pids ? { texts: pids.map(readRequested), unreadable: [] } : readAllProcessKsmTexts();
  const entries: ProcessEntry[] = [];
  for (const { pid, ...text } of texts) {
    const stats = statsOf(text);
    if (!pids && !stats.mergingPages) continue;
    let memory: ProcessMemory;
    try {
      memory = readProcessMemory(pid);
    } catch { // it has gone since
      if (pids) throw noSuchProcess(pid);
      continue;
    }
    entries.push({ pid, command: readProcessCommand(pid), ...stats, ...memory });
  }
  entries.sort((a, b) => (b.mergingPages ?? 0) - (a.mergingPages ?? 0) || a.pid - b.pid);
  return { processes: entries, unreadable };
}

function readRequested(pid: number): { pid: number } & ReturnType<typeof readProcessKsmText> {
  try {
    return { pid, ...readProcessKsmText(pid) };
  } catch (error) {
    throw isGone(error) ? noSuchProcess(pid) : error;
  }
}

function noSuchProcess(pid: number): KsmError {
  return new KsmError(`ESRCH: no process with pid ${pid}`, { code: 'ESRCH', errno: -os.constants.errno.ESRCH });
}
