// Control of ksmd through /sys/kernel/mm/ksm (root only). Every value is checked before any
// is written, and a write the kernel refuses undoes the ones before it.
import { validateAdvisorMode, validateFlag, validateInteger, validateObject, validateRunState } from './args.js';
import { invalidArgValue, KsmError, type KsmdRollbackFailure } from './errors.js';
import { withHint } from './kernel/hints.js';
import { ksmdPath, readKsmdValue, writeKsmdValue } from './kernel/ksmd-files.js';
import { KSMD_FILES } from './kernel/parse.js';
import { requireLinux } from './kernel/platform.js';

/** ksmd's tunable settings, as configure() takes them and settings() reports them: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdsettings */
export interface KsmdSettings {
  pagesToScan: number;
  sleepMillisecs: number;
  maxPageSharing: number;
  mergeAcrossNodes: 0 | 1 | boolean;
  useZeroPages: 0 | 1 | boolean;
  smartScan: 0 | 1 | boolean;
  advisorMode: 'none' | 'scan-time';
  advisorMaxCpu: number;
  advisorTargetScanTime: number;
  advisorMinPagesToScan: number;
  advisorMaxPagesToScan: number;
}

type Key = keyof KsmdSettings;
type Check = (value: unknown, name: string) => string;

const UINT_MAX = 2 ** 32 - 1;

const integer = (min: number, max: number): Check => (value, name) => {
  validateInteger(value, name, min, max);
  return String(value);
};

const flag: Check = (value, name) => String(validateFlag(value, name));

const CHECK_TABLE: Record<Key, Check> = {
  pagesToScan: integer(0, UINT_MAX),
  sleepMillisecs: integer(0, UINT_MAX),
  maxPageSharing: integer(2, 2 ** 31 - 1),
  mergeAcrossNodes: flag,
  useZeroPages: flag,
  smartScan: flag,
  advisorMode: validateAdvisorMode,
  advisorMaxCpu: integer(1, 100),
  advisorTargetScanTime: integer(1, UINT_MAX),
  advisorMinPagesToScan: integer(1, UINT_MAX),
  advisorMaxPagesToScan: integer(1, UINT_MAX),
};

// Looked up in Maps, never on a plain object: a name from outside (the CLI's KEY=VALUE) must
// not find an inherited property such as __proto__, constructor or toString.
const CHECKS = new Map(Object.entries(CHECK_TABLE) as [Key, Check][]);
const KEYS = [...CHECKS.keys()];

/** Each setting by its key (pagesToScan) and by its file's name (pages_to_scan). */
const SETTING_NAMES = new Map<string, Key>(KEYS.flatMap((key) => [[key, key], [KSMD_FILES[key], key]]));

function unknownSetting(name: string): TypeError {
  return invalidArgValue(`Unknown ksmd setting "${name}"; known: ${KEYS.join(', ')}`, 'ERR_INVALID_ARG_VALUE');
}

function write(key: keyof typeof KSMD_FILES, value: string): void {
  try {
    writeKsmdValue(key, value);
  } catch (error) {
    throw withHint(error);
  }
}

/** The current value of each setting this kernel has: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdsettings-partialksmdsettings */
function settings(): Partial<KsmdSettings> {
  const current: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = readKsmdValue(key);
    if (value !== undefined) current[key] = value;
  }
  return current as Partial<KsmdSettings>;
}

/** A written value as settings() would read it back: a number, or advisorMode's word. */
function asRead(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * Writes back the previous value of each setting written (last first: the advisor goes back on
 * only after pagesToScan), every one tried; returns those that could not be put back.
 */
function putBack(written: readonly (readonly [Key, string])[], previous: Partial<KsmdSettings>): KsmdRollbackFailure[] {
  const failures: KsmdRollbackFailure[] = [];
  for (const [key, value] of [...written].reverse()) {
    try {
      write(key, String(previous[key]));
    } catch (error) {
      failures.push({ setting: key, value: asRead(value), previous: previous[key] as number | string,
        error: error as Error });
    }
  }
  return failures;
}

/**
 * The error that stopped a write, unchanged when everything was put back; otherwise the same
 * KsmError with the settings left changed in its message and in `rollbackFailures`.
 */
function withRollbackFailures(error: unknown, failures: readonly KsmdRollbackFailure[]): unknown {
  if (failures.length === 0 || !(error instanceof KsmError)) return error;
  const left = failures.map(({ setting, value, previous, error: why }) =>
    `${setting} stayed ${value} instead of ${previous} (${why.message})`).join('; ');
  const { code, errno, syscall, path } = error;
  return new KsmError(`${error.message}; putting back what was already written failed, so ${left}`,
    { code, errno, syscall, path, rollbackFailures: failures });
}

/** What apply() wrote, in order, and the values they replaced. */
interface Applied {
  written: [Key, string][];
  previous: Partial<KsmdSettings>;
}

/** configure()'s work, also telling override() what it wrote, so that it can be put back. */
function apply(given: Partial<KsmdSettings>): Applied {
  requireLinux();
  const writes: [Key, string][] = [];
  for (const [key, value] of Object.entries(given)) {
    const check = CHECKS.get(key as Key);
    if (check === undefined) throw unknownSetting(key);
    if (value !== undefined) writes.push([key as Key, check(value, key)]);
  }
  const previous = settings();
  for (const [key] of writes) {
    if (!Object.hasOwn(previous, key)) {
      throw new KsmError(`This kernel has no ksmd setting "${key}" (${ksmdPath(key)} does not exist); ` +
        'it needs a newer kernel', { code: 'ERR_KSM_SETTING_UNAVAILABLE', path: ksmdPath(key) });
    }
  }
  // The kernel refuses pagesToScan while the advisor runs: turn it off first, on last.
  writes.sort(([a, va], [b, vb]) => rank(a, va) - rank(b, vb));
  const written: [Key, string][] = [];
  try {
    for (const [key, value] of writes) {
      write(key, value);
      written.push([key, value]);
    }
  } catch (error) {
    throw withRollbackFailures(error, putBack(written, previous));
  }
  return { written,
    previous: Object.fromEntries(writes.map(([key]) => [key, previous[key]])) as Partial<KsmdSettings> };
}

/** Writes settings, all or none, and returns their previous values: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdconfigurechanges-partialksmdsettings */
function configure(changes: Partial<KsmdSettings>): Partial<KsmdSettings> {
  return apply(validateObject<KsmdSettings>(changes, 'changes')).previous;
}

function rank(key: Key, value: string): number {
  if (key !== 'advisorMode') return 0;
  return value === 'none' ? -1 : 1;
}

function setRun(value: 0 | 1 | 2): number {
  const before = readKsmdValue('run');
  if (before === undefined) {
    throw new KsmError(`This kernel has no ksmd: ${ksmdPath('run')} does not exist`, { code: 'ERR_KSM_UNSUPPORTED' });
  }
  write('run', String(value));
  return before;
}

/** Applies settings and a run state; returns a function that puts them back: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdoverridechanges---void */
function override(changes: Partial<KsmdSettings> & { run?: 0 | 1 | 2 }): () => void {
  const { run, ...settings } = validateObject<KsmdSettings & { run: 0 | 1 | 2 }>(changes, 'changes');
  validateRunState(run);
  const { written, previous } = apply(settings);
  let previousRun: number | undefined;
  try {
    if (run !== undefined) previousRun = setRun(run);
  } catch (error) {
    throw withRollbackFailures(error, putBack(written, previous));
  }
  let runRestored = previousRun === undefined || previousRun === run;
  let restored = false;
  return () => {
    if (restored) return;
    if (!runRestored) {
      setRun(previousRun as 0 | 1 | 2);
      runRestored = true;
    }
    configure(previous);
    restored = true; // only now: a restore that threw is tried again by the next call
  };
}

/**
 * @internal For the CLI: a setting named by its file (pages_to_scan) or its key (pagesToScan),
 * and its value from text (integers as numbers, true/false as booleans, other words as they are;
 * configure() then checks the value). Any other name throws ERR_INVALID_ARG_VALUE, as configure()
 * does for an unknown key.
 */
export function settingFromText(name: string, text: string): [keyof KsmdSettings, unknown] {
  const key = SETTING_NAMES.get(name);
  if (key === undefined) throw unknownSetting(name);
  const value = /^-?\d+$/.test(text) ? Number(text) : text === 'true' || text === 'false' ? text === 'true' : text;
  return [key, value];
}

/** ksmd, the kernel thread that merges pages; every call but settings() needs root: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#controlling-ksmd-ksmd */
export const ksmd = {
  override,
  /** Starts merging (run = 1); returns the previous run value: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdstart-number-ksmdstop-number-ksmdunmergeall-number */
  start: (): number => setRun(1),
  /** Stops merging, merged pages staying merged (run = 0); returns the previous run value: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdstart-number-ksmdstop-number-ksmdunmergeall-number */
  stop: (): number => setRun(0),
  /** Stops and unmerges every KSM page (run = 2); returns the previous run value: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmdstart-number-ksmdstop-number-ksmdunmergeall-number */
  unmergeAll: (): number => setRun(2),
  configure,
  settings,
};
