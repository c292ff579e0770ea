// Loads the addon once, on first use. Importing the package never throws: where the addon
// cannot be loaded (not Linux, build missing or broken) every KSM call throws one
// KsmUnsupportedError that says why and what would fix it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bindings from 'bindings';
import { KsmUnsupportedError, toKsmError } from '../errors.js';
import type { MemoryLike } from '../types.js';
import { withHint } from './hints.js';
import { requireLinux } from './platform.js';
import { prebuildFile, prebuildTarget } from './prebuild.js';

/** The raw addon: thin wrappers around system calls. Arguments are validated in lib/. */
export interface Addon {
  readonly pageSize: number;
  /** Page-aligned mergeable memory as an ArrayBuffer, given back to the allocator when the last
   *  ArrayBuffer over it is gone; null where the runtime refuses memory from outside its heap.
   *  Zeroed, or with `zeroed` false holding what an earlier user wrote (for callers that
   *  overwrite it all); zero past `length` to the end of its last page either way. */
  allocate(length: number, zeroed?: boolean): ArrayBuffer | null;
  /** madvise on the whole pages of [offset, offset + length): the offset of the first, or -1 if
   *  none. With `record`, a mark on memory the allocator does not own holds it until swept. */
  advise(view: MemoryLike, offset: number, length: number, mergeable: boolean, record: boolean): number;
  /** Unmarks and lets go of marked heap memory no ArrayBuffer holds any more; the marks left. */
  sweepMarks(): number;
  /** Per-page state of the view's whole pages from pagemap and kpageflags, read in batches. */
  inspectPages(view: MemoryLike): PageState;
  /** The address of the view's first byte and the byte offsets of its whole pages. */
  pageSpan(view: MemoryLike): PageSpan;
  /** @internal Diagnostics: what the page-aligned allocator holds now (all threads). */
  allocatorStats(): AllocatorStats;
  /** Returns spare memory that stayed unused since the last call; whether the allocator still
   *  holds anything a later call could return. */
  trimAllocator(): boolean;
  /** Starts a new allocator epoch; returns it (native/binding/exports.h). */
  advanceAllocatorEpoch(): number;
  /** Per block class, live totals and a pagemap sample of mature blocks (native/binding/exports.h). */
  sampleAllocator(matureEpoch: number, maxPages: number): Float64Array;
  /** Whether this runtime accepts external buffers (the V8 sandbox refuses them). */
  externalBuffersAllowed(): boolean;
  /** madvise(MADV_MERGEABLE) on a page of its own: 0 when it works, else the errno. */
  probeMergeable(): number;
  setProcessMerge(enabled: boolean): void;
  getProcessMerge(): boolean;
  /** Reads other processes' pages for estimate(): see native/binding/exports.h. */
  PageScanner: (new () => PageScanner) & { layout: Record<string, number> };
}

/** One estimate's scan: sessions of processes (several at once), then the counts (native/binding/exports.h). */
export interface PageScanner {
  /** Opens /proc/<pid>/pagemap; returns the session's id; throws its open error. */
  begin(pid: number, index: number): number;
  /** [start, end, kind, flags] quadruples. */
  scan(session: number, ranges: Float64Array): Promise<ScanResult>;
  /** Closes the session; keep false drops what was read of its process. */
  end(session: number, keep: boolean): void;
  count(settings: { processes: number; kinds: number; maxPageSharing: number; useZeroPages: boolean }):
    Promise<Float64Array>;
}

/** How count()'s Float64Array is laid out (native/core/duplicate_count.h): per choice, in this
 *  order, pages_sharing, pages_shared and ksm_zero_pages; then per process and kind, pages,
 *  zero-filled, merged, twins within, twins across, duplicates. */
export const COUNT_LAYOUT = {
  choices: ['asMarked', 'processWide', 'markedByApp'],
  choiceValues: 3,
  kindValues: 6,
} as const;

export interface ScanResult {
  pages: number;
  hiddenFrames: number;
  vanished: number;
  /** Set when an error ended the scan (ESRCH: the process has gone). */
  code?: string;
  syscall?: string;
}

/** @internal Diagnostics of the allocator, for tests. */
export interface AllocatorStats {
  /** Arena mappings, empty ones kept for reuse included. */
  arenas: number;
  /** Blocks handed out whose memory some ArrayBuffer can still reach, and their bytes. */
  liveBlocks: number;
  liveBytes: number;
  /** Freed slots kept resident and zeroed for reuse (bounded, given back when idle). */
  keptBytes: number;
  /** Ranges of live blocks their user unmarked. */
  unmarkedRanges: number;
  /** Marks on memory the allocator does not own, until their ArrayBuffers are collected. */
  heapMarks: number;
}

/** The address of a view's first byte and the byte offsets of its whole pages. */
export interface PageSpan {
  address: number;
  start: number;
  end: number;
}

export interface PageState extends PageSpan {
  pages: number;
  present?: number;
  merged?: number;
  zeroPages?: number;
  /** @internal Diagnostics: preads made of each file, and kpageflags entries they covered. */
  reads: { pagemap: number; kpageflags: number; kpageflagsFrames: number };
}

const packageRoot = path.resolve(__dirname, '..', '..');

let cached: Addon | undefined;
let unavailable: KsmUnsupportedError | undefined;

/** Why KSM cannot be used through this addon, from probing madvise once; undefined if it can. */
function probeKsm(loaded: Addon): string | undefined {
  const err = loaded.probeMergeable();
  if (err === os.constants.errno.EINVAL) {
    return `this kernel (${os.release()}) was built without KSM (CONFIG_KSM): madvise(MADV_MERGEABLE) ` +
      'answers EINVAL; use a kernel with CONFIG_KSM=y';
  }
  if (err === os.constants.errno.EPERM || err === os.constants.errno.ENOSYS) {
    return 'a seccomp filter blocks madvise(MADV_MERGEABLE) ' +
      `(${err === os.constants.errno.EPERM ? 'EPERM' : 'ENOSYS'}); ` +
      'run without the container runtime\'s seccomp profile, or one that allows madvise';
  }
  return undefined;
}

/** Why the install step left no addon, as it recorded it; undefined if it recorded nothing. */
function recordedInstallError(): string | undefined {
  try {
    const recorded = JSON.parse(fs.readFileSync(path.join(packageRoot, 'build', 'install-error.json'), 'utf8')) as
      { reason?: unknown };
    if (typeof recorded.reason === 'string') return recorded.reason;
  } catch {
    // No record: the install step did not run, or left an addon.
  }
  return undefined;
}

/** Why there is no addon at all: no prebuild fits, and the install script never ran to compile one. */
function notBuiltReason(target: string): string {
  return 'the native addon was never built: node-ksm\'s install script did not run (npm --ignore-scripts, or a ' +
    'package manager that runs dependencies\' build scripts only when allowed), and the package has no prebuilt ' +
    `addon for ${target}; allow the script (npm: "npm approve-scripts node-ksm", which writes package.json's ` +
    'allowScripts; pnpm: "pnpm approve-builds"; bun: add "node-ksm" to package.json\'s trustedDependencies), then ' +
    'run "npm rebuild node-ksm"';
}

/**
 * The addon file to load: a compiled build first (asked for, or compiled because no prebuild
 * fitted or loaded), else the prebuild for this machine; and what to do if it does not load.
 * Only the Release build is tried, so a stale Debug build cannot win.
 */
function addonFile(): { file: string; fix: string } {
  const built = path.join(packageRoot, 'build', 'Release', 'ksm.node');
  if (fs.existsSync(built)) return { file: built, fix: 'rebuild it with "npm rebuild node-ksm"' };
  const recorded = recordedInstallError();
  if (recorded !== undefined) throw new KsmUnsupportedError([recorded]);
  const target = prebuildTarget();
  const prebuilt = prebuildFile(packageRoot, target);
  if (!fs.existsSync(prebuilt)) throw new KsmUnsupportedError([notBuiltReason(target)]);
  return { file: prebuilt, fix: 'compile one from source with "npm rebuild node-ksm --build-from-source"' };
}

function load(): Addon {
  requireLinux();
  const { file, fix } = addonFile();
  const relative = path.relative(packageRoot, file);
  let loaded: Addon;
  try {
    loaded = bindings({
      bindings: 'ksm.node',
      module_root: packageRoot,
      try: [['module_root', ...path.dirname(relative).split(path.sep), 'bindings']],
    }) as Addon;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new KsmUnsupportedError([`the native addon ${relative} could not be loaded (${why}); ${fix}`]);
  }
  const unusable = probeKsm(loaded);
  if (unusable) throw new KsmUnsupportedError([unusable]);
  return loaded;
}

/**
 * The addon, loaded on first use, once KSM is known to work through it; throws
 * KsmUnsupportedError where it cannot be loaded or KSM cannot be used at all.
 */
export function addon(): Addon {
  if (cached) return cached;
  if (unavailable) throw unavailable;
  try {
    cached = load();
    return cached;
  } catch (error) {
    unavailable = error as KsmUnsupportedError;
    throw unavailable;
  }
}

/** Why the addon is unavailable, or undefined when it loaded. Never throws. */
export function addonUnavailableReasons(): readonly string[] | undefined {
  try {
    addon();
    return undefined;
  } catch (error) {
    return (error as KsmUnsupportedError).reasons;
  }
}

/** Runs an addon call, turning a failed system call into a KsmError that says what to do. */
export function callAddon<T>(call: (addon: Addon) => T): T {
  const loaded = addon();
  try {
    return call(loaded);
  } catch (error) {
    throw withHint(toKsmError(error));
  }
}
