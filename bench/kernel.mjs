// What the bench reads from the kernel: a child's merged pages, ksmd's CPU time.
import fs from 'node:fs';
import { processStats } from 'node-ksm';

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
