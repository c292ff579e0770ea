// Where transparent mode places Buffers. A placed Buffer costs memory (its last page is whole)
// and pays only if ksmd runs and its pages find twins. So, per class of Buffers (the allocator's
// size classes: 1 page, 2, 3-4, ... 129-256, and larger), a timer off the hot path asks the
// kernel and decides, with hysteresis, whether placing that class pays. docs/api.md,
// "Where it places", says what it decides and why, for users.
import { addon } from './kernel/addon.js';
import { readKsmdValue } from './kernel/ksmd-files.js';
import { pageSize } from './kernel/page-size.js';
import type { Placement, PlacementReason } from './types.js';

export interface ClassState {
  placing: boolean;
  reason: PlacementReason;
  /** Resident pages of the class's sampled live Buffers (a decaying sum over recent checks)... */
  sampledPages: number;
  /** ...and how many of them are merged. */
  mergedPages: number;
}

/** The evidence of one class at one check: the allocator's live totals and a pagemap sample. */
export interface ClassEvidence {
  liveBytes: number;
  livePages: number;
  sampledPages: number;
  mergedPages: number;
}

export const CLASS_COUNT = 10;
const LARGEST_SLOT_PAGES = 256;
/** How often the timer looks at ksmd and the samples. */
export const CHECK_INTERVAL_MS = 2000;
/** ksmd's full scans a placed page must have been through to count as evidence: a page merges
 *  on its second or third scan (its checksum must hold still for one first). */
export const SCANS_TO_MATURE = 3;
/** Fewer sampled pages than this is no evidence. */
export const MIN_EVIDENCE_PAGES = 64;
/** Stop placing below this net gain (merged share minus wasted share of placed pages); start
 *  again at the higher one: the gap keeps a class near the line from flapping. */
export const STOP_BELOW = 0.05;
export const RESUME_AT = 0.15;
/** While a class is not placed, every PROBE_EVERY-th of its Buffers is, as evidence. */
export const PROBE_EVERY = 32;
/** Data pages sampled per class and check (the allocator reads them in a few preads). */
const SAMPLE_PAGES = 256;

/** The class of a Buffer of `size` bytes. */
export function classOf(size: number, page = pageSize()): number {
  const pages = Math.ceil(size / page);
  if (pages <= 1) return 0;
  return pages > LARGEST_SLOT_PAGES ? CLASS_COUNT - 1 : 32 - Math.clz32(pages - 1);
}

/** The sizes, in pages, of the Buffers of a class; `maxPages` is undefined for the largest. */
export function classPages(index: number): { minPages: number; maxPages: number | undefined } {
  if (index === 0) return { minPages: 1, maxPages: 1 };
  if (index === CLASS_COUNT - 1) return { minPages: LARGEST_SLOT_PAGES + 1, maxPages: undefined };
  return { minPages: 2 ** (index - 1) + 1, maxPages: 2 ** index };
}

/**
 * The next state of a placing class from one check's evidence (pure: unit-tested). Evidence
 * decays by half each check, so that a class follows what its Buffers hold now.
 */
export function decide(state: ClassState, evidence: ClassEvidence, page: number): ClassState {
  const sampledPages = state.sampledPages / 2 + evidence.sampledPages;
  const mergedPages = state.mergedPages / 2 + evidence.mergedPages;
  const next = { ...state, sampledPages, mergedPages };
  if (sampledPages < MIN_EVIDENCE_PAGES || evidence.livePages === 0) return next;
  // What placing wastes: the share of the class's pages its Buffers' bytes do not fill.
  const wasted = 1 - evidence.liveBytes / (evidence.livePages * page);
  const gain = mergedPages / sampledPages - wasted;
  if (state.placing ? gain < STOP_BELOW : gain < RESUME_AT) return { ...next, placing: false, reason: 'notMerging' };
  return { ...next, placing: true, reason: 'merging' };
}

const initial = (placing: boolean, reason: PlacementReason): ClassState =>
  ({ placing, reason, sampledPages: 0, mergedPages: 0 });

let mode: Placement = 'adaptive';
let classes: ClassState[] = [];
// The hot path's view of `classes`: 1 place, 0 not, 2 probe (place 1 in PROBE_EVERY).
const PLACE = 1;
const PROBE = 2;
const verdicts = new Uint8Array(CLASS_COUNT);
// Whether any class places or probes, and who is told when that changes: while none does
// (ksmd stopped), transparent mode steps aside.
let placingAny = false;
let onPlacesAny: ((places: boolean) => void) | undefined;
const probes = new Uint32Array(CLASS_COUNT);
let timer: NodeJS.Timeout | undefined;
// ksmd's full scans when each allocator epoch began, newest last (see check()).
let epochs: Array<{ epoch: number; fullScans: number }> = [];
// Whether ksmd ran at the last check. While it does not, nothing is placed, and each class keeps
// what was judged of it for when ksmd runs again.
let ksmdRunning = false;

function publish(next: ClassState[]): void {
  classes = next;
  for (let i = 0; i < CLASS_COUNT; i++) {
    const { placing, reason } = next[i];
    verdicts[i] = mode === 'adaptive' && !ksmdRunning ? 0 : placing ? PLACE : reason === 'notMerging' ? PROBE : 0;
  }
  const any = verdicts.some((verdict) => verdict !== 0);
  if (any === placingAny) return;
  placingAny = any;
  onPlacesAny?.(any);
}

/** The newest allocator epoch whose Buffers ksmd has scanned SCANS_TO_MATURE times since, if any. */
function matureEpoch(fullScans: number): number | undefined {
  for (let i = epochs.length - 1; i >= 0; i--) {
    // Buffers of epoch e were all made before epoch e + 1 began.
    if (epochs[i].fullScans + SCANS_TO_MATURE <= fullScans) return epochs[i].epoch - 1;
  }
  return undefined;
}

/** The evidence of every class, from Buffers made at or before `epoch`; undefined without pagemap. */
function sample(epoch: number): ClassEvidence[] | undefined {
  const values = addon().sampleAllocator(epoch, SAMPLE_PAGES);
  if (Number.isNaN(values[3])) return undefined;
  return Array.from({ length: CLASS_COUNT }, (_, i) => ({
    liveBytes: values[i * 5 + 1], livePages: values[i * 5 + 2], sampledPages: values[i * 5 + 3],
    mergedPages: values[i * 5 + 4],
  }));
}

/** Whether ksmd runs, and its full scans; not running where its files cannot be read. */
function ksmdState(): { running: boolean; fullScans: number } {
  try {
    return { running: readKsmdValue('run') === 1, fullScans: readKsmdValue('fullScans') ?? 0 };
  } catch {
    return { running: false, fullScans: 0 };
  }
}

/** One look at ksmd and the samples. */
function check(): void {
  const { running, fullScans } = ksmdState();
  epochs.push({ epoch: addon().advanceAllocatorEpoch(), fullScans });
  if (epochs.length > 64) epochs = epochs.slice(-32);
  ksmdRunning = running;
  publish(classes);
  if (!running) return;
  const epoch = matureEpoch(fullScans);
  if (epoch === undefined) return;
  const evidence = sample(epoch);
  if (evidence === undefined) {
    publish(classes.map((state) => ({ ...state, placing: false, reason: 'noEvidence' })));
    return;
  }
  publish(classes.map((state, i) => decide(state, evidence[i], pageSize())));
}

/**
 * Starts deciding (or, `always`, places everything); called when transparent mode is enabled.
 * `onPlacesAnyChange` is told now, and at each change, whether any Buffer may be placed; it must not throw.
 */
export function startPlacement(wanted: Placement, onPlacesAnyChange?: (places: boolean) => void): void {
  mode = wanted;
  stopPlacement();
  ksmdRunning = false;
  epochs = [];
  // Every class is placed (once ksmd runs) until it has been judged.
  publish(Array.from({ length: CLASS_COUNT },
    () => initial(true, wanted === 'always' ? 'always' : 'awaitingEvidence')));
  onPlacesAny = onPlacesAnyChange;
  onPlacesAny?.(placingAny);
  if (wanted === 'always') return;
  checkNow();
  timer = setInterval(checkNow, CHECK_INTERVAL_MS).unref();
}

/** Runs a check now (the timer's, and tests'); an error it meets places nothing, never throws. */
export function checkNow(): void {
  if (mode === 'always') return;
  try {
    check();
  } catch {
    publish(classes.map((state) => ({ ...state, placing: false, reason: 'noEvidence' })));
  }
}

export function stopPlacement(): void {
  clearInterval(timer);
  timer = undefined;
  onPlacesAny = undefined;
}

/** The hot path's first question: whether any Buffer may be placed now (none while ksmd is stopped). */
export function placesAny(): boolean {
  return placingAny;
}

/** The hot path: whether to place a Buffer of class `index` now (a stopped class's probes count here). */
export function placingClass(index: number): boolean {
  const verdict = verdicts[index];
  if (verdict === PLACE) return true;
  return verdict === PROBE && ++probes[index] % PROBE_EVERY === 0;
}

/** Whether class `index` is placed now, probes aside (nothing counted). */
export function classPlaced(index: number): boolean {
  return verdicts[index] === PLACE;
}

/**
 * Before measuring a Buffer known only to take from `min` to `max` bytes (a string before its
 * byteLength): whether any class in that range is placed or probed now (nothing counted). When
 * none is, the measuring is saved.
 */
export function mayPlace(min: number, max: number, page: number): boolean {
  const last = classOf(max, page);
  for (let i = classOf(min, page); i <= last; i++) if (verdicts[i] !== 0) return true;
  return false;
}

/** The current state of every class: while ksmd does not run, none is placed. */
export function placementClasses(): readonly ClassState[] {
  if (mode === 'always' || ksmdRunning) return classes;
  return classes.map((state) => ({ ...state, placing: false, reason: 'ksmdStopped' }));
}

export function placementMode(): Placement {
  return mode;
}
