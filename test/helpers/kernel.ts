// What this kernel offers, asked of the kernel itself (the files it has, the calls it answers),
// so that a test runs where its feature exists and, where it does not, skips with the reason in
// its name. docs/kernel.md says which release brought what; never assume the newest kernel's files.
import fs from 'node:fs';
import os from 'node:os';
import { capabilities } from '../../lib/index.js';
import { kernelAtLeast } from '../../lib/kernel/platform.js';
import { readKsmStat } from './proc.js';
import { KSM_SYSFS, linux } from './platform.js';

/** Why process-wide merge (prctl PR_SET_MEMORY_MERGE) cannot be tested here, or undefined. */
export const noProcessMerge: string | undefined = !linux ? 'skipped: KSM exists only on Linux'
  : capabilities().processMerge ? undefined
    : `skipped: prctl(PR_SET_MEMORY_MERGE) is refused here (Linux 6.4+; this is ${os.release()})`;

/** Whether exec'd children inherit process-wide merge (Linux 6.7+). */
export const mergeInheritedOnExec = linux && kernelAtLeast(6, 7);

function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A /sys/kernel/mm/ksm file's text, or undefined where this kernel lacks it. */
export function readOptionalKsmFile(name: string): string | undefined {
  return readOptional(`${KSM_SYSFS}/${name}`)?.trim();
}

/**
 * A process's KSM figures read the plainest way, each undefined where this kernel does not
 * report it: ksm_stat's lines (6.1+, grown since), and ksm_merging_pages (5.19+) where ksm_stat
 * has no merged page count (before 6.4).
 */
export function rawProcessStats(pid: number | 'self' = 'self') {
  const lines = readKsmStat(pid);
  const number = (name: string) => (lines[name] === undefined ? undefined : Number(lines[name]));
  const yes = (name: string) => (lines[name] === undefined ? undefined : lines[name] === 'yes');
  const merging = number('ksm_merging_pages') ?? readOptional(`/proc/${pid}/ksm_merging_pages`);
  return {
    mergingPages: merging === undefined ? undefined : Number(merging),
    rmapItems: number('ksm_rmap_items'),
    zeroPages: number('ksm_zero_pages'),
    profitBytes: number('ksm_process_profit'),
    mergeAny: yes('ksm_merge_any'),
    mergeable: yes('ksm_mergeable'),
  };
}

/** Why a process's merged page count cannot be read here (ksm_merging_pages came in 5.19), or undefined. */
export const noProcessMergeCount: string | undefined = linux && rawProcessStats().mergingPages === undefined
  ? `skipped: this kernel reports no merged pages per process (Linux 5.19+; this is ${os.release()})` : undefined;

/** Why a process's ksm_stat cannot be read here (Linux 6.1+), or undefined. */
export const noKsmStat: string | undefined = linux && readOptional('/proc/self/ksm_stat') === undefined
  ? `skipped: this kernel has no /proc/<pid>/ksm_stat (Linux 6.1+; this is ${os.release()})` : undefined;

/** Whether ksm_stat has the ksm_merge_any:/ksm_mergeable: lines (6.14+). */
export const hasMergeAnyLine = linux && rawProcessStats().mergeAny !== undefined;
