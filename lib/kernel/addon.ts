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

/** The addon's exports, arguments checked in lib/ first; what each does: native/binding/exports.h. */
export interface Addon {
  readonly pageSize: number;
  allocate(length: number, zeroed?: boolean): ArrayBuffer | null;
  advise(view: MemoryLike, offset: number, length: number, mergeable: boolean, record: boolean): number;
  sweepMarks(): number;
  inspectPages(view: MemoryLike): PageState;
  pageSpan(view: MemoryLike): PageSpan;
  /** @internal For tests. */
  allocatorStats(): AllocatorStats;
  trimAllocator(): boolean;
  advanceAllocatorEpoch(): number;
  sampleAllocator(matureEpoch: number, maxPages: number): Float64Array;
  externalBuffersAllowed(): boolean;
  probeMergeable(): number;
  setProcessMerge(enabled: boolean): void;
  getProcessMerge(): boolean;
  PageScanner: (new () => PageScanner) & { layout: Record<string, number> };
}

export interface PageScanner {
  begin(pid: number, index: number): number;
  scan(session: number, ranges: Float64Array): Promise<ScanResult>;
  end(session: number, keep: boolean): void;
  count(settings: { processes: number; kinds: number; maxPageSharing: number; useZeroPages: boolean }):
    Promise<Float64Array>;
}

/** count()'s layout, as native/core/duplicate_count.h has it (test/process/estimate.test.ts holds the two together). */
export const COUNT_LAYOUT = {
  choices: ['asMarked', 'processWide', 'markedByApp'],
  choiceValues: 3,
  kindValues: 6,
} as const;

export interface ScanResult {
  pages: number;
  hiddenFrames: number;
  vanished: number;
  code?: string;
  syscall?: string;
}

/** @internal For tests. */
export interface AllocatorStats {
  arenas: number;
  liveBlocks: number;
  liveBytes: number;
  keptBytes: number;
  unmarkedRanges: number;
  heapMarks: number;
}

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
  /** @internal For tests and the bench. */
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
