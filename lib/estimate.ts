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

export interface EstimateOptions {
  /** These processes. */
  pids?: readonly number[];
  /** This process too. */
  self?: boolean;
  /** Every Node.js process this user can see (command `node` or `nodejs`), this one aside.
   *  The default when neither pids nor self is given. */
  nodeProcesses?: boolean;
  /** Stops the scan: rejects with an AbortError whose cause is the signal's reason. */
  signal?: AbortSignal;
  /** Called after each batch read (about 64 MiB of resident memory). */
  onProgress?: (progress: EstimateProgress) => void;
  /** Sharers per KSM page, as ksmd's max_page_sharing. Default: this kernel's setting (256). */
  maxPageSharing?: number;
  /** Empty pages merge with the zero page (ksm_zero_pages) rather than with each other.
   *  Default: this kernel's use_zero_pages. */
  useZeroPages?: boolean;
}

export interface EstimateProgress {
  /** The process being read, and its place in the set (from 0). */
  pid: number;
  index: number;
  processes: number;
  /** Pages read so far, all processes. */
  pagesScanned: number;
}

/** Page counts of one kind of mapping, or of a whole process or set. */
export interface PageCounts {
  /** Resident private anonymous pages read (the kernel's zero page aside: KSM never scans it). */
  pages: number;
  /** Of those, pages whose every byte is zero. */
  zeroPages: number;
  /** Pages KSM has already merged (KPF_KSM); undefined where frame numbers are hidden (not root). */
  merged: number | undefined;
  /** Pages (zero pages aside) with an identical page elsewhere in the same process. */
  twinsWithin: number;
  /** Pages (zero pages aside) with an identical page in another process of the set. */
  twinsAcross: number;
  /** Pages (zero pages aside) with an identical page anywhere in the set: what merging could fold. */
  duplicates: number;
}

export interface EstimatedProcess extends PageCounts {
  pid: number;
  /** The command line; any user's text, unescaped. */
  command: string;
  /** scanned; unreadable (code says why: EACCES or EPERM, another user's); gone (exited). */
  state: 'scanned' | 'unreadable' | 'gone';
  /** For an unreadable process: the error code, and the call that failed. */
  code?: string;
  syscall?: string;
  /** Process-wide merge is on in it; undefined where the kernel does not say and smaps cannot tell. */
  processWideMerge: boolean | undefined;
  /** The same counts by the kind of mapping holding the pages. */
  byKind: Record<MappingKind, PageCounts>;
}

/** What ksmd would reach: the pages_sharing, pages_shared and ksm_zero_pages it would show. */
export interface PredictedSaving {
  pagesSharing: number;
  pagesShared: number;
  zeroPages: number;
  /** (pagesSharing + zeroPages) x page size. */
  bytes: number;
}

export interface Estimate {
  pageSize: number;
  /** Every process asked for, in the order given (pids, then self, then the Node processes found). */
  processes: EstimatedProcess[];
  /** The counts of the scanned processes together. */
  total: PageCounts;
  /** The saving each way of turning merge on would bring, over the scanned processes. */
  saving: {
    /** As things are: only mappings marked mergeable now (VmFlags mg). */
    asMarked: PredictedSaving;
    /** Process-wide merge (PR_SET_MEMORY_MERGE) in every process. */
    processWide: PredictedSaving;
    /** Only what the apps marked themselves (node-ksm's allocator, markMergeable). */
    markedByApp: PredictedSaving;
  };
  /** Processes whose own marks cannot be told from process-wide merge's (it is on, or might be):
   *  their pages are not in saving.markedByApp. */
  markedByAppUnknown: number[];
  /** The settings the prediction used. */
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

/**
 * Predicts what KSM would save in the chosen processes under each way of turning it on, and
 * shows what has merged already. Reads only: the processes are never stopped or changed, and
 * only a digest of each page is kept. A process this user may not read (another user's:
 * EACCES/EPERM) is reported `unreadable`, one that exits before or during the scan `gone`; the
 * others are still counted. Without root, `merged` is undefined (frame numbers are hidden).
 */
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
