// ksmd's files in /sys/kernel/mm/ksm: which this kernel has, and their values by camelCase key
// (the one table of names is KSMD_FILES in parse.ts); and KSM's counters in /proc/vmstat.
import { KsmUnsupportedError } from '../errors.js';
import type { KsmdValues } from '../types.js';
import {
  KSM_SYSFS, kernelFileWritable, kernelPathExists, listKernelDirectory, readKernelFile, readOptionalKernelFile,
  writeKernelFile,
} from './files.js';
import { KSMD_FILES, parseSysfsValue, parseVmstatKsm } from './parse.js';
import { requireLinux } from './platform.js';

// Which files this kernel has cannot change while it runs (KSM is built in, not a module).
let presentFiles: Set<string> | undefined;

function ksmdFiles(): Set<string> {
  if (presentFiles) return presentFiles;
  const names = listKernelDirectory(KSM_SYSFS);
  if (!names) {
    throw new KsmUnsupportedError([`this kernel was built without KSM (CONFIG_KSM): ${KSM_SYSFS} does not exist`]);
  }
  presentFiles = new Set(names);
  return presentFiles;
}

/** The path of a ksmd file. */
export function ksmdPath(key: keyof KsmdValues): string {
  return `${KSM_SYSFS}/${KSMD_FILES[key]}`;
}

/** One ksmd value, or undefined where this kernel lacks its file. */
export function readKsmdValue<K extends keyof KsmdValues>(key: K): KsmdValues[K] {
  requireLinux();
  const text = ksmdFiles().has(KSMD_FILES[key]) ? readOptionalKernelFile(ksmdPath(key)) : undefined;
  return (text === undefined ? undefined : parseSysfsValue(text)) as KsmdValues[K];
}

/** Writes one ksmd value (root only); the kernel's refusal throws KsmError naming the file. */
export function writeKsmdValue(key: keyof KsmdValues, value: string): void {
  writeKernelFile(ksmdPath(key), value);
}

/** Whether /sys/kernel/mm/ksm exists: the kernel was built with KSM. */
export function ksmdDirectoryExists(): boolean {
  return kernelPathExists(KSM_SYSFS);
}

/**
 * A ksmd file's text as the kernel writes it. Unlike readKsmdValue, a file that cannot be read
 * for any reason (ENOENT too) throws KsmError, for capabilities() to say why.
 */
export function readKsmdText(key: keyof KsmdValues): string {
  return readKernelFile(ksmdPath(key));
}

/** Whether this process may write a ksmd file: false with the error's code where it may not. */
export function ksmdFileWritable(key: keyof KsmdValues): { writable: true } | { writable: false; code: string } {
  return kernelFileWritable(ksmdPath(key));
}

/** The KSM counters of /proc/vmstat (cow_ksm, ksm_swpin_copy), undefined where absent. */
export function readVmstatKsm(): { cowKsm: number | undefined; ksmSwpinCopy: number | undefined } {
  const vmstat = readOptionalKernelFile('/proc/vmstat');
  return vmstat === undefined ? { cowKsm: undefined, ksmSwpinCopy: undefined } : parseVmstatKsm(vmstat);
}
