// The one place tests touch ksmd: save its settings, set fast ones, restore them all in
// `finally`, even when the test fails.
import fs from 'node:fs';
import { KSMD_FILES } from '../../lib/kernel/parse.js';
import type { KsmdValues } from '../../lib/types.js';
import { KSM_SYSFS, hasKsm, linux, root } from './platform.js';

const SAVED = ['run', 'pages_to_scan', 'sleep_millisecs', 'use_zero_pages'] as const;
type Setting = (typeof SAVED)[number];

/** Why tests that run ksmd must skip here, or undefined when they can run. */
export const ksmdUnavailable: string | undefined = (() => {
  if (!linux) return 'KSM exists only on Linux';
  if (!hasKsm) return 'this kernel has no KSM (/sys/kernel/mm/ksm is missing)';
  if (!root) return 'starting ksmd needs root';
  return undefined;
})();

export function readKsmFile(name: string): string {
  return fs.readFileSync(`${KSM_SYSFS}/${name}`, 'utf8').trim();
}

function writeKsmFile(name: string, value: string | number): void {
  fs.writeFileSync(`${KSM_SYSFS}/${name}`, String(value));
}

/** Runs fn with ksmd running fast (or with the given settings), then restores what was there. */
export async function withKsmd<T>(fn: () => Promise<T> | T,
  settings: Partial<Record<Setting, number>> = {}): Promise<T> {
  const saved = Object.fromEntries(SAVED.map((name) => [name, readKsmFile(name)])) as Record<Setting, string>;
  const restore = () => {
    // run first, so ksmd is stopped (or left as it was) before its batch settings go back.
    writeKsmFile('run', saved.run);
    writeKsmFile('pages_to_scan', saved.pages_to_scan);
    writeKsmFile('sleep_millisecs', saved.sleep_millisecs);
    writeKsmFile('use_zero_pages', saved.use_zero_pages);
  };
  // If the runner ends the process mid-test (a timeout, Ctrl-C, a kill), `finally` may never
  // run: put the settings back on exit and on those signals too, then let the signal go on.
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.kill(process.pid, signal);
  };
  process.once('exit', restore);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    writeKsmFile('pages_to_scan', settings.pages_to_scan ?? 5000);
    writeKsmFile('sleep_millisecs', settings.sleep_millisecs ?? 10);
    if (settings.use_zero_pages !== undefined) writeKsmFile('use_zero_pages', settings.use_zero_pages);
    writeKsmFile('run', settings.run ?? 1);
    return await fn();
  } finally {
    process.removeListener('exit', restore);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    restore();
  }
}

/** Waits until ksmd has completed `count` more full scans (so earlier changes have settled). */
export async function waitForFullScans(count: number, timeoutMs = 20_000): Promise<void> {
  const target = Number(readKsmFile('full_scans')) + count;
  if (!(await waitUntil(() => Number(readKsmFile('full_scans')) >= target, timeoutMs, 50))) {
    throw new Error(`ksmd did not complete ${count} full scans in ${timeoutMs} ms`);
  }
}

/** Polls until check() returns true or timeoutMs passes; returns whether it did. */
export async function waitUntil(check: () => boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The camelCase key of a ksmd file, from the library's one table of their names. */
export function ksmdKey(file: string): keyof KsmdValues {
  const key = (Object.keys(KSMD_FILES) as (keyof KsmdValues)[]).find((name) => KSMD_FILES[name] === file);
  if (!key) throw new Error(`no ksmd file named ${file}`);
  return key;
}
