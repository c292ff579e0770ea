// What the bench reads from the kernel: a child's merged pages, ksmd's CPU time.
import fs from 'node:fs';
import { processStats, systemStats } from 'node-ksm';

/** A child's merged pages, from whichever file this kernel reports them in (5.19+). */
export function childMergingPages(pid) {
  return processStats(pid).mergingPages ?? 0;
}

let ksmdPid;

/** ksmd's CPU time so far, in seconds (utime + stime from /proc/<ksmd>/stat). */
export function ksmdCpuSeconds() {
  ksmdPid ??= fs.readdirSync('/proc').find((pid) => /^\d+$/.test(pid) &&
    fs.readFileSync(`/proc/${pid}/comm`, 'latin1').trim() === 'ksmd');
  if (!ksmdPid) return NaN;
  const fields = fs.readFileSync(`/proc/${ksmdPid}/stat`, 'latin1').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until pages_sharing holds still for 3 full scans: true, or false at `deadline` (a Date.now() value). */
export async function settle(deadline) {
  let last = -1;
  let since = systemStats().fullScans;
  while (Date.now() < deadline) {
    const now = systemStats();
    if (now.pagesSharing !== last) [last, since] = [now.pagesSharing, now.fullScans];
    else if (now.fullScans - since >= 3) return true;
    await sleep(50);
  }
  return false;
}

/**
 * Waits until ksmd has made `count` more full scans (or `deadline`, a Date.now() value, has
 * passed) and returns what it scanned and skipped a scan on average (undefined where this
 * kernel does not count it: pages_scanned and pages_skipped came in 6.7), and the figures at
 * the end. smart_scan (6.7+) passes over pages that kept failing to merge without scanning them.
 */
export async function perFullScan(count, deadline) {
  const start = systemStats();
  while (systemStats().fullScans - start.fullScans < count && Date.now() < deadline) await sleep(50);
  const end = systemStats();
  const scans = Math.max(1, end.fullScans - start.fullScans);
  const per = (key) => (end[key] === undefined ? undefined : (end[key] - start[key]) / scans);
  return { scanned: per('pagesScanned'), skipped: per('pagesSkipped'), end };
}
