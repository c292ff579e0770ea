// ksmd's files in /sys/kernel/mm/ksm: which this kernel has, and their values by camelCase key
// (the one table of names is KSMD_FILES in parse.ts).
import { KsmUnsupportedError } from '../errors.js';
import type { KsmdValues } from '../types.js';
import { KSM_SYSFS, listKernelDirectory, readOptionalKernelFile, writeKernelFile } from './files.js';
import { KSMD_FILES, parseSysfsValue } from './parse.js';
import { requireLinux } from './platform.js';

// Which files this kernel has cannot change while it runs (KSM is built in, not a module).
let presentFiles: Set<string> | undefined;

function ksmdFiles(): Set<string> {
  if (presentFiles) return presentFiles;
  const names = listKernelDirectory(KSM_SYSFS);
  if (!names) throw new KsmUnsupportedError([`this kernel was built without KSM (CONFIG_KSM): ${KSM_SYSFS} does not exist`]);
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
