// Waiting for merges and watching the numbers move, at the pace ksmd can change them.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LONGEST_TIMER_MS, validateInterval, validateOptions, validateRatio, validateSignal, validateTimeout,
  validateWholePages } from './args.js';
import { KsmError } from './errors.js';
import { inspect, type PageInspection } from './inspect.js';
import { KSMD_STOPPED } from './kernel/hints.js';
import { readKsmdValue } from './kernel/ksmd-files.js';
import { processStats, systemStats, type SystemStats } from './stats.js';
import type { MemoryLike, Pid, ProcessStats } from './types.js';

/** What waitForMerge() takes: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#waitformergeoptions */
export interface WaitForMergeOptions {
  timeout?: number;
  signal?: AbortSignal;
  minRatio?: number;
}

let warnedStopped = false;

function warnIfStopped(): void {
  if (warnedStopped || readKsmdValue('run') === 1) return;
  warnedStopped = true;
  process.emitWarning(`${KSMD_STOPPED} (or calls ksmd.start())`, { code: 'KSM_KSMD_NOT_RUNNING' });
}

/**
 * Merged enough? With frame numbers visible, by the view's own pages (inspect); without, by the
 * process's merged page count covering the view, once ksmd has completed two full scans since
 * the wait began (a page merges on the second scan that sees it).
 */
function mergeProbe(view: MemoryLike, minRatio: number): () => boolean {
  const startScans = readKsmdValue('fullScans') ?? 0;
  return () => {
    const state: PageInspection = inspect(view);
    validateWholePages(state.pages, view.byteLength);
    // Empty pages merged with the zero page (use_zero_pages) count as merged too.
    if (state.merged !== undefined) return state.merged + (state.zeroPages ?? 0) >= minRatio * state.pages;
    const scans = (readKsmdValue('fullScans') ?? 0) - startScans;
    const { mergingPages = 0, zeroPages = 0 } = processStats();
    return scans >= 2 && mergingPages + zeroPages >= minRatio * state.pages;
  };
}

// Waits longer than a timer takes (LONGEST_TIMER_MS) run against a deadline, in pieces.

/** Milliseconds left until the deadline (on the monotonic clock), at least 0. */
function untilDeadline(deadline: number): number {
  return Math.max(deadline - performance.now(), 0);
}

/** The value, unless the deadline passes or the signal aborts first. */
async function bounded<T>(value: T | Promise<T>, deadline: number, signal: AbortSignal | undefined,
  timedOut: () => Error): Promise<T> {
  if (!(value instanceof Promise)) return value;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    const arm = () => {
      timer = setTimeout(() => (untilDeadline(deadline) === 0 ? reject(timedOut()) : arm()),
        Math.min(untilDeadline(deadline), LONGEST_TIMER_MS));
    };
    if (Number.isFinite(deadline)) arm();
    onAbort = () => reject(signal?.reason);
    // An abort during check() (before this listener) must not be missed.
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([value, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Resolves once the view's whole pages have merged, or a predicate returns true: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#waitformergetarget-options-promisevoid */
export async function waitForMerge(
  target: MemoryLike | (() => boolean | Promise<boolean>),
  options?: WaitForMergeOptions,
): Promise<void> {
  const given = validateOptions<WaitForMergeOptions>(options);
  const timeout = validateTimeout(given.timeout, 60_000);
  const minRatio = validateRatio(given.minRatio, 'minRatio', 0.99);
  const signal = validateSignal(given.signal);
  const check = typeof target === 'function' ? target : mergeProbe(target, minRatio);
  signal?.throwIfAborted();
  warnIfStopped();
  const deadline = performance.now() + timeout; // Infinity: no timeout
  const timedOut = () => new KsmError(`ETIMEDOUT: pages did not merge within ${timeout} ms`,
    { code: 'ETIMEDOUT', errno: -os.constants.errno.ETIMEDOUT });
  for (;;) {
    const began = performance.now();
    // A predicate that never settles must not outlive the timeout or the signal.
    if (await bounded(check(), deadline, signal, timedOut)) return;
    const spent = performance.now() - began;
    const left = untilDeadline(deadline);
    if (left === 0) throw timedOut();
    // sleep_millisecs goes up to 2^32-1: a longer pause than a timer takes just polls once more.
    const pause = Math.max(readKsmdValue('sleepMillisecs') ?? 20, 10, 4 * spent);
    try {
      await sleep(Math.min(pause, left, LONGEST_TIMER_MS), undefined, { signal });
    } catch (error) {
      throw signal?.aborted ? signal.reason : error; // the caller's reason, not a generic AbortError
    }
  }
}

type Counters = Pick<SystemStats, 'pagesShared' | 'pagesSharing' | 'pagesUnshared' | 'pagesVolatile' |
  'fullScans' | 'generalProfit' | 'savedBytes'> & Pick<ProcessStats, 'mergingPages' | 'profitBytes'>;

/** One snapshot from watch(): the figures, and how they moved: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmsnapshot */
export interface KsmSnapshot {
  time: number;
  system: SystemStats;
  process: ProcessStats | undefined;
  delta: { [K in keyof Counters]: number };
}

/** What watch() takes: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#watchoptions */
export interface WatchOptions {
  interval?: number;
  pid?: Pid;
  signal?: AbortSignal;
}

const COUNTERS = ['pagesShared', 'pagesSharing', 'pagesUnshared', 'pagesVolatile', 'fullScans', 'generalProfit',
  'savedBytes'] as const;

/** The system's and a process's KSM figures every interval ms, with how they moved: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#watchoptions-asyncgeneratorksmsnapshot */
export async function* watch(options?: WatchOptions): AsyncGenerator<KsmSnapshot, void, undefined> {
  const given = validateOptions<WatchOptions>(options);
  const interval = validateInterval(given.interval, 1000);
  const pid = given.pid ?? 'self';
  const signal = validateSignal(given.signal);
  processStats(pid); // a bad pid fails now, not in the first iteration
  let previous: KsmSnapshot | undefined;
  while (!signal?.aborted) {
    const system = systemStats();
    let proc: ProcessStats | undefined;
    try {
      proc = processStats(pid);
    } catch {
      proc = undefined;
    }
    const delta = {} as KsmSnapshot['delta'];
    for (const key of COUNTERS) delta[key] = previous ? (system[key] ?? 0) - (previous.system[key] ?? 0) : 0;
    delta.mergingPages = previous ? (proc?.mergingPages ?? 0) - (previous.process?.mergingPages ?? 0) : 0;
    delta.profitBytes = previous ? (proc?.profitBytes ?? 0) - (previous.process?.profitBytes ?? 0) : 0;
    previous = { time: Date.now(), system, process: proc, delta };
    yield previous;
    try {
      await sleep(interval, undefined, { signal });
    } catch {
      return; // aborted
    }
  }
}
