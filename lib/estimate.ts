// estimate(): how much KSM would save in a set of processes, before anyone turns it on. Reads
// each process's resident private anonymous pages (the addon: pagemap, /proc/<pid>/mem, a digest
// per page) and counts identical pages as ksmd would merge them under each way of turning it on.
import {
  validateBoolean, validateFunction, validateOptions, validatePidList, validateSharingLimit, validateSignal,
} from './args.js';
import { KsmError } from './errors.js';
import { callAddon, COUNT_LAYOUT, type PageScanner, type ScanResult } from './kernel/addon.js';
import { readKsmdValue } from './kernel/ksmd-files.js';
import { batchRanges, looksMergeAny, MAPPING_KINDS, scanRanges } from './kernel/mappings.js';
import { pageSize } from './kernel/page-size.js';
import { parseSmapsMappings, type SmapsMapping } from './kernel/parse.js';
import { requireLinux } from './kernel/platform.js';
import { isGone, listNodeProcesses, readProcessCommand, readProcessSmaps } from './kernel/processes.js';
import { pool } from './pool.js';
import { processStats } from './stats.js';
import type { MappingKind } from './types.js';

/** Which processes estimate() reads, and how it counts: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#estimateoptions */
export interface EstimateOptions {
  pids?: readonly number[];
  self?: boolean;
  nodeProcesses?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: EstimateProgress) => void;
  maxPageSharing?: number;
  useZeroPages?: boolean;
}

/** What estimate() reports after each batch it reads: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#estimateprogress */
export interface EstimateProgress {
  pid: number;
  index: number;
  processes: number;
  pagesScanned: number;
}

/** Page counts of one kind of mapping, or of a whole process or set: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#pagecounts */
export interface PageCounts {
  pages: number;
  zeroPages: number;
  merged: number | undefined;
  twinsWithin: number;
  twinsAcross: number;
  duplicates: number;
}

/** One process of an Estimate: its counts, and whether it was read: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#estimatedprocess */
export interface EstimatedProcess extends PageCounts {
  pid: number;
  command: string;
  state: 'scanned' | 'unreadable' | 'gone';
  code?: string;
  syscall?: string;
  processWideMerge: boolean | undefined;
  byKind: Record<MappingKind, PageCounts>;
}

/** The pages_sharing, pages_shared and ksm_zero_pages ksmd would reach: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#predictedsaving */
export interface PredictedSaving {
  pagesSharing: number;
  pagesShared: number;
  zeroPages: number;
  bytes: number;
}

/** What estimate() resolves to: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#estimate */
export interface Estimate {
  pageSize: number;
  processes: EstimatedProcess[];
  total: PageCounts;
  saving: {
    asMarked: PredictedSaving;
    processWide: PredictedSaving;
    markedByApp: PredictedSaving;
  };
  markedByAppUnknown: number[];
  maxPageSharing: number;
  useZeroPages: boolean;
}

const BATCH_BYTES = 64 * 1024 * 1024;
const READERS = 2;
const { choices: CHOICES, choiceValues: CHOICE_VALUES, kindValues: KIND_VALUES } = COUNT_LAYOUT;

function emptyCounts(): PageCounts {
  return { pages: 0, zeroPages: 0, merged: 0, twinsWithin: 0, twinsAcross: 0, duplicates: 0 };
}

function addCounts(into: PageCounts, from: PageCounts): void {
  into.pages += from.pages;
  into.zeroPages += from.zeroPages;
  into.merged = into.merged === undefined || from.merged === undefined ? undefined : into.merged + from.merged;
  into.twinsWithin += from.twinsWithin;
  into.twinsAcross += from.twinsAcross;
  into.duplicates += from.duplicates;
}

function choosePids(options: EstimateOptions): number[] {
  const pids = options.pids ? [...options.pids] : [];
  if (options.self) pids.push(process.pid);
  if (options.nodeProcesses || (!options.pids && !options.self)) {
    pids.push(...listNodeProcesses().filter((pid) => pid !== process.pid));
  }
  return [...new Set(pids)];
}

function validateEstimateOptions(options: unknown): EstimateOptions {
  const given = validateOptions<EstimateOptions>(options);
  if (given.pids !== undefined) validatePidList(given.pids, 'options.pids');
  for (const name of ['self', 'nodeProcesses', 'useZeroPages'] as const) {
    validateBoolean(given[name], `options.${name}`);
  }
  validateSignal(given.signal);
  validateFunction(given.onProgress, 'options.onProgress');
  validateSharingLimit(given.maxPageSharing, 'options.maxPageSharing');
  return given;
}

/** Whether process-wide merge is on: ksm_stat says so from 6.14; before, the stack's mark tells. */
function processWideMergeOf(pid: number, mappings: SmapsMapping[]): boolean | undefined {
  try {
    const said = processStats(pid).mergeAny;
    if (said !== undefined) return said;
  } catch {
    // Gone since its smaps was read: smaps decides.
  }
  return looksMergeAny(mappings);
}

/** A process not read: gone when it has exited (ESRCH, ENOENT), else unreadable, with the code and call that failed. */
function unreadState(error: { code?: string; syscall?: string }): Pick<EstimatedProcess, 'state' | 'code' | 'syscall'> {
  if (error.code === 'ESRCH' || error.code === 'ENOENT') return { state: 'gone' };
  return { state: 'unreadable', code: error.code, syscall: error.syscall };
}

interface ReadContext {
  page: number;
  /** Throws to stop between batches: an abort, or another reader's failure. */
  check: () => void;
  /** After each batch: the pages it read, and whether the process failed during it (then no progress to report). */
  onBatch: (pages: number, failed: boolean) => void;
}

/** Reads one process into the scanner's session `index`; sets only its own entry's state and flags. */
async function readProcess(scanner: PageScanner, entry: EstimatedProcess, index: number,
  { page, check, onBatch }: ReadContext): Promise<void> {
  const { pid } = entry;
  let smaps: string;
  let session: number;
  try {
    smaps = readProcessSmaps(pid);
    // A zombie's smaps is empty: it has no memory left.
    if (smaps === '') throw new KsmError(`ESRCH: process ${pid} has exited`, { code: 'ESRCH' });
    session = callAddon(() => scanner.begin(pid, index));
  } catch (error) {
    if (!(error instanceof KsmError)) throw error;
    const cause = isGone(error) ? { code: 'ESRCH' } : { code: error.code, syscall: error.syscall ?? 'open' };
    Object.assign(entry, unreadState(cause));
    return;
  }
  const mappings = parseSmapsMappings(smaps);
  entry.processWideMerge = processWideMergeOf(pid, mappings);
  let hidden = 0;
  let ok = true;
  try {
    for (const batch of batchRanges(scanRanges(mappings, entry.processWideMerge), BATCH_BYTES, page)) {
      check();
      const result: ScanResult = await scanner.scan(session, new Float64Array(batch.flatMap((r) =>
        [r.start, r.end, r.kind, r.flags])));
      check();
      hidden += result.hiddenFrames;
      ok = result.code === undefined;
      onBatch(result.pages, !ok);
      if (!ok) {
        Object.assign(entry, unreadState(result));
        break;
      }
    }
  } finally {
    scanner.end(session, ok);
  }
  if (ok && hidden > 0) entry.merged = undefined;
}

/** What KSM would save in running processes, under each way of turning it on: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#estimateoptions-promiseestimate */
export async function estimate(options?: EstimateOptions): Promise<Estimate> {
  const given = validateEstimateOptions(options);
  requireLinux();
  const page = pageSize();
  const maxPageSharing = given.maxPageSharing ?? readKsmdValue('maxPageSharing') ?? Infinity;
  const useZeroPages = given.useZeroPages ?? readKsmdValue('useZeroPages') === 1;
  const pids = choosePids(given);
  const scanner = callAddon((addon) => new addon.PageScanner());
  const processes = pids.map((pid): EstimatedProcess => ({ pid, command: readProcessCommand(pid), state: 'scanned',
    processWideMerge: undefined, ...emptyCounts(),
    byKind: Object.fromEntries(MAPPING_KINDS.map((kind) => [kind, emptyCounts()])) as
      Record<MappingKind, PageCounts> }));
  let pagesScanned = 0;
  // Two processes at a time: while the kernel copies one's pages on one thread, another hashes.
  await pool(pids.keys(), READERS, (index, check) => readProcess(scanner, processes[index], index, {
    page,
    check,
    onBatch: (pages, failed) => {
      pagesScanned += pages;
      if (!failed) given.onProgress?.({ pid: pids[index], index, processes: pids.length, pagesScanned });
    },
  }), given.signal);
  const counts = await scanner.count({ processes: pids.length, kinds: MAPPING_KINDS.length,
    maxPageSharing: maxPageSharing === Infinity ? 0 : maxPageSharing, useZeroPages });
  return summarize(counts, processes, { page, maxPageSharing, useZeroPages });
}

function summarize(counts: Float64Array, processes: EstimatedProcess[],
  { page, maxPageSharing, useZeroPages }: { page: number; maxPageSharing: number; useZeroPages: boolean }): Estimate {
  const markedByAppUnknown = processes.filter((p) => p.state === 'scanned' && p.processWideMerge !== false)
    .map((p) => p.pid);
  const saving = Object.fromEntries(CHOICES.map((choice, c) => {
    const [pagesSharing, pagesShared, zeroPages] = counts.subarray(c * CHOICE_VALUES, (c + 1) * CHOICE_VALUES);
    return [choice, { pagesSharing, pagesShared, zeroPages, bytes: (pagesSharing + zeroPages) * page }];
  })) as Estimate['saving'];
  const total = emptyCounts();
  const kindsAt = CHOICES.length * CHOICE_VALUES;
  for (const [index, entry] of processes.entries()) {
    if (entry.state !== 'scanned') continue;
    const mergedKnown = entry.merged !== undefined;
    const own = emptyCounts();
    for (const [k, kind] of MAPPING_KINDS.entries()) {
      const at = kindsAt + (index * MAPPING_KINDS.length + k) * KIND_VALUES;
      const [pages, zeroPages, merged, twinsWithin, twinsAcross, duplicates] = counts.subarray(at, at + KIND_VALUES);
      entry.byKind[kind] = { pages, zeroPages, merged: mergedKnown ? merged : undefined, twinsWithin, twinsAcross,
        duplicates };
      addCounts(own, entry.byKind[kind]);
    }
    Object.assign(entry, own);
    addCounts(total, own);
  }
  return { pageSize: page, processes, total, saving, markedByAppUnknown, maxPageSharing, useZeroPages };
}
