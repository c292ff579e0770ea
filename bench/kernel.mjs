// What the bench reads from the kernel directly: a child's ksm_stat, ksmd's CPU time.
import fs from 'node:fs';

export function childMergingPages(pid) {
  const match = /^ksm_merging_pages (\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/ksm_stat`, 'latin1'));
  return match ? Number(match[1]) : 0;
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
