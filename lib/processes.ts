// Every process with KSM pages, from /proc/<pid>/ksm_stat.
import fs from 'node:fs';
import { parseKsmStat, type ProcessStats } from './parse.js';
import { requireLinux } from './native.js';

export interface ProcessEntry extends ProcessStats {
  pid: number;
  /** The command line (or, where it is empty, the command name). */
  command: string;
}

function readCommand(pid: string): string {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').split('\0').join(' ');
    return cmdline || `[${fs.readFileSync(`/proc/${pid}/comm`, 'latin1').trim()}]`;
  } catch {
    return '?';
  }
}

/**
 * Processes whose pages KSM has merged, most merged pages first. Processes this user may not
 * read, and those that exit while being read, are left out.
 */
export function processesWithKsmPages(): ProcessEntry[] {
  requireLinux();
  const entries: ProcessEntry[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/ksm_stat`, 'latin1');
    } catch {
      continue;
    }
    const stats = parseKsmStat(text);
    if (!stats.mergingPages) continue;
    entries.push({ pid: Number(pid), command: readCommand(pid), ...stats });
  }
  return entries.sort((a, b) => (b.mergingPages ?? 0) - (a.mergingPages ?? 0) || a.pid - b.pid);
}
