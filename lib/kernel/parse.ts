// Pure parsers for the kernel's KSM files, and the arithmetic on what they say: text and
// numbers in, values out. Nothing here touches the file system; the readers beside it hand the
// text over.
import type { KsmdValues, ProcessStats } from '../types.js';

const PROCESS_FIELDS: Record<string, keyof ProcessStats> = {
  ksm_merging_pages: 'mergingPages',
  ksm_rmap_items: 'rmapItems',
  ksm_zero_pages: 'zeroPages',
  ksm_process_profit: 'profitBytes',
  ksm_merge_any: 'mergeAny',
  ksm_mergeable: 'mergeable',
};

function emptyProcessStats(): ProcessStats {
  return { mergingPages: undefined, rmapItems: undefined, zeroPages: undefined, profitBytes: undefined,
    mergeAny: undefined, mergeable: undefined };
}

/** A kernel value: yes/no as booleans, integers as numbers, anything else undefined. */
function parseValue(text: string): number | boolean | undefined {
  if (text === 'yes') return true;
  if (text === 'no') return false;
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * /proc/<pid>/ksm_stat. Lines are `name value` or, for the yes/no lines of 6.14+,
 * `name: value`; unknown lines (from newer kernels) are ignored.
 */
export function parseKsmStat(text: string): ProcessStats {
  const stats = emptyProcessStats();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const name = line.slice(0, line[space - 1] === ':' ? space - 1 : space);
    const key = PROCESS_FIELDS[name];
    if (key !== undefined) {
      (stats as unknown as Record<string, unknown>)[key] = parseValue(line.slice(space + 1).trim());
    }
  }
  return stats;
}

/** /proc/<pid>/ksm_merging_pages (5.19+, the only per-process file before ksm_stat). */
export function parseMergingPages(text: string): ProcessStats {
  return { ...emptyProcessStats(), mergingPages: parseValue(text.trim()) as number | undefined };
}

/** The file in /sys/kernel/mm/ksm behind each key. */
export const KSMD_FILES: Readonly<Record<keyof KsmdValues, string>> = {
  run: 'run',
  pagesToScan: 'pages_to_scan',
  sleepMillisecs: 'sleep_millisecs',
  pagesShared: 'pages_shared',
  pagesSharing: 'pages_sharing',
  pagesUnshared: 'pages_unshared',
  pagesVolatile: 'pages_volatile',
  fullScans: 'full_scans',
  generalProfit: 'general_profit',
  ksmZeroPages: 'ksm_zero_pages',
  maxPageSharing: 'max_page_sharing',
  useZeroPages: 'use_zero_pages',
  mergeAcrossNodes: 'merge_across_nodes',
  smartScan: 'smart_scan',
  pagesSkipped: 'pages_skipped',
  pagesScanned: 'pages_scanned',
  stableNodeChains: 'stable_node_chains',
  stableNodeDups: 'stable_node_dups',
  stableNodeChainsPruneMillisecs: 'stable_node_chains_prune_millisecs',
  advisorMode: 'advisor_mode',
  advisorMaxCpu: 'advisor_max_cpu',
  advisorTargetScanTime: 'advisor_target_scan_time',
  advisorMinPagesToScan: 'advisor_min_pages_to_scan',
  advisorMaxPagesToScan: 'advisor_max_pages_to_scan',
};

/**
 * One sysfs value: a number, or for a choice file such as advisor_mode
 * ("[none] scan-time") the selected word.
 */
export function parseSysfsValue(text: string): number | string | undefined {
  const value = text.trim();
  const selected = /\[([^\]]+)\]/.exec(value);
  if (selected) return selected[1];
  return /^-?\d+$/.test(value) ? Number(value) : undefined;
}

/** What the ksmd counters mean in bytes saved and sharers per KSM page, for a page size. */
export function savings({ pagesSharing, pagesShared }: Pick<KsmdValues, 'pagesSharing' | 'pagesShared'>,
  pageSize: number): { savedBytes: number | undefined; sharingRatio: number | undefined } {
  return {
    savedBytes: pagesSharing === undefined ? undefined : pagesSharing * pageSize,
    sharingRatio: pagesSharing === undefined || pagesShared === undefined ? undefined
      : pagesShared === 0 ? 0 : pagesSharing / pagesShared,
  };
}

/**
 * The whole pages an advice covered, as offsets within the view: from `start` (the first page
 * boundary inside [offset, offset + length), or -1 when no whole page fits) through every whole
 * page up to the range's end.
 */
export function advisedPages(offset: number, length: number, start: number, pageSize: number):
  { start: number; end: number; bytes: number; pages: number } {
  if (start < 0) return { start: offset, end: offset, bytes: 0, pages: 0 };
  const pages = Math.floor((offset + length - start) / pageSize);
  const bytes = pages * pageSize;
  return { start, end: start + bytes, bytes, pages };
}

/** The KSM counters of /proc/vmstat (cow_ksm, ksm_swpin_copy), undefined where absent. */
export function parseVmstatKsm(text: string): { cowKsm: number | undefined; ksmSwpinCopy: number | undefined } {
  const find = (name: string) => {
    const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  return { cowKsm: find('cow_ksm'), ksmSwpinCopy: find('ksm_swpin_copy') };
}

const SMAPS_HEADER = /^([0-9a-f]+)-([0-9a-f]+) /gm;

/** The start address of the last mapping header in a piece of /proc/<pid>/smaps text, or -1. */
export function lastSmapsMappingStart(text: string): number {
  let last = -1;
  for (const match of text.matchAll(SMAPS_HEADER)) last = parseInt(match[1], 16);
  return last;
}

/**
 * Whether every byte of [begin, end) lies in mappings whose VmFlags carry `flag`
 * (e.g. 'mg' for mergeable), given /proc/<pid>/smaps text that reaches past end.
 * An empty range is not flagged.
 */
export function isRangeFlagged(smaps: string, begin: number, end: number, flag: string): boolean {
  if (end <= begin) return false;
  let covered = begin; // everything below this address is known to be flagged
  for (const mapping of parseSmapsMappings(smaps)) {
    if (covered >= end) break;
    if (mapping.end <= covered) continue;
    if (mapping.start > covered) return false; // a hole, or a mapping that starts past the range
    if (!mapping.flags.includes(flag)) return false;
    covered = mapping.end;
  }
  return covered >= end;
}

// PF_KTHREAD in include/linux/sched.h, unchanged since 2.6.27.
const PF_KTHREAD = 0x00200000;

/** Whether /proc/<pid>/stat text is a kernel thread's: its 9th field, flags, has PF_KTHREAD. */
export function isKernelThreadStat(stat: string): boolean {
  // The command name (field 2) sits in parentheses and may hold spaces and ')': fields after it
  // start after the last ')'. Then: state, ppid, pgrp, session, tty_nr, tpgid, flags.
  const flags = Number(stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[6]);
  return (flags & PF_KTHREAD) !== 0;
}

/** A process's memory in bytes: resident (Rss) and proportional to its sharers (Pss). */
export interface ProcessMemory {
  rssBytes: number | undefined;
  pssBytes: number | undefined;
}

/** Rss and Pss of /proc/<pid>/smaps_rollup text (values in kB), each undefined where missing. */
export function parseSmapsRollup(text: string): ProcessMemory {
  const kib = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  return { rssBytes: kib('Rss'), pssBytes: kib('Pss') };
}

/** A mapping as /proc/<pid>/smaps lists it, with what an estimate needs. */
export interface SmapsMapping {
  start: number;
  end: number;
  /** rwxp / rwxs: the fourth letter says private or shared. */
  perms: string;
  /** The path or [heap], [stack], [anon:name]; empty for an anonymous mapping. */
  name: string;
  /** Its VmFlags (mg: mergeable). */
  flags: string[];
  /** Anonymous pages resident, in kB (the Anonymous: line). */
  anonymousKb: number;
}

const SMAPS_MAPPING = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+ *(.*)$/;

/** Every mapping of /proc/<pid>/smaps text, in address order. */
export function parseSmapsMappings(text: string): SmapsMapping[] {
  const mappings: SmapsMapping[] = [];
  let current: SmapsMapping | undefined;
  for (const line of text.split('\n')) {
    const header = SMAPS_MAPPING.exec(line);
    if (header) {
      current = { start: parseInt(header[1], 16), end: parseInt(header[2], 16), perms: header[3], name: header[4],
        flags: [], anonymousKb: 0 };
      mappings.push(current);
    } else if (current && line.startsWith('Anonymous:')) {
      current.anonymousKb = Number(/\d+/.exec(line)?.[0] ?? 0);
    } else if (current && line.startsWith('VmFlags:')) {
      current.flags = line.slice('VmFlags:'.length).trim().split(/\s+/).filter(Boolean);
    }
  }
  return mappings;
}
