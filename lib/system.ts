import fs from 'node:fs';
import { KsmUnsupportedError } from './errors.js';
import { pageSize, requireLinux } from './native.js';
import { KSMD_FILES, parseSysfsValue, parseVmstatKsm, type KsmdValues } from './parse.js';
import { readOptionalKernelFile } from './procfs.js';

export const KSM_SYSFS = '/sys/kernel/mm/ksm';

/** System-wide KSM figures: every /sys/kernel/mm/ksm value plus derived savings. */
export interface SystemStats extends KsmdValues {
  /** Bytes saved: pagesSharing x page size. */
  savedBytes: number | undefined;
  /** Sharers per KSM page: pagesSharing / pagesShared (0 when nothing is shared). */
  sharingRatio: number | undefined;
  /** Copy-on-write breaks of KSM pages since boot (/proc/vmstat cow_ksm). */
  cowKsm: number | undefined;
  /** KSM pages copied on swap-in (/proc/vmstat ksm_swpin_copy). */
  ksmSwpinCopy: number | undefined;
}

// Which files this kernel has cannot change while it runs (KSM is built in, not a module).
let presentFiles: Set<string> | undefined;

function ksmFiles(): Set<string> {
  if (presentFiles) return presentFiles;
  try {
    presentFiles = new Set(fs.readdirSync(KSM_SYSFS));
  } catch {
    throw new KsmUnsupportedError([`this kernel was built without KSM (CONFIG_KSM): ${KSM_SYSFS} does not exist`]);
  }
  return presentFiles;
}

/** One ksmd value, or undefined where this kernel lacks its file. */
export function readKsmdValue<K extends keyof KsmdValues>(key: K): KsmdValues[K] {
  requireLinux();
  const file = KSMD_FILES[key];
  const text = ksmFiles().has(file) ? readOptionalKernelFile(`${KSM_SYSFS}/${file}`) : undefined;
  return (text === undefined ? undefined : parseSysfsValue(text)) as KsmdValues[K];
}

/** Reads the ksmd values this kernel has; the others are undefined. */
export function readKsmdValues(): KsmdValues {
  const values = {} as Record<string, unknown>;
  for (const key of Object.keys(KSMD_FILES) as (keyof KsmdValues)[]) values[key] = readKsmdValue(key);
  return values as unknown as KsmdValues;
}

/**
 * Every value of /sys/kernel/mm/ksm (camelCase keys, numbers as numbers, files this kernel
 * lacks undefined), the KSM counters of /proc/vmstat, and derived savedBytes and sharingRatio.
 */
export function systemStats(): SystemStats {
  const values = readKsmdValues();
  const { pagesSharing, pagesShared } = values;
  const vmstat = readOptionalKernelFile('/proc/vmstat');
  return {
    ...values,
    savedBytes: pagesSharing === undefined ? undefined : pagesSharing * pageSize(),
    sharingRatio: pagesSharing === undefined || pagesShared === undefined ? undefined
      : pagesShared === 0 ? 0 : pagesSharing / pagesShared,
    ...(vmstat === undefined ? { cowKsm: undefined, ksmSwpinCopy: undefined } : parseVmstatKsm(vmstat)),
  };
}
