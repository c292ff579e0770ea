// Per-process files: /proc/<pid>/ksm_stat (6.1+), ksm_merging_pages (5.19+), cmdline, comm,
// stat, smaps, smaps_rollup (4.14+).
import type { KsmError } from '../errors.js';
import { kernelPathExists, listKernelDirectory, readKernelFile, readOptionalKernelFile } from './files.js';
import { withHint } from './hints.js';
import { isKernelThreadStat, parseSmapsRollup, type ProcessMemory } from './parse.js';

export type { ProcessMemory };

/**
 * The KSM text a process has: ksm_stat (6.1+) and ksm_merging_pages (5.19+), each undefined
 * where this kernel lacks it. ksm_stat carries the merged page count only from 6.4, so
 * ksm_merging_pages is read where it does not. A process that does not exist or may not be
 * read throws KsmError (ENOENT, EACCES).
 */
export function readProcessKsmText(pid: number | 'self'): { ksmStat?: string; mergingPages?: string } {
  const dir = `/proc/${pid}`;
  let ksmStat: string | undefined;
  try {
    ksmStat = readOptionalKernelFile(`${dir}/ksm_stat`);
  } catch (error) {
    throw withHint(error);
  }
  if (ksmStat?.includes('ksm_merging_pages ')) return { ksmStat };
  const mergingPages = readOptionalKernelFile(`${dir}/ksm_merging_pages`);
  // Neither file: a kernel older than 5.19, or no such process, which throws ENOENT here.
  if (ksmStat === undefined && mergingPages === undefined && !kernelPathExists(dir)) readKernelFile(`${dir}/ksm_stat`);
  return { ksmStat, mergingPages };
}

/** A process whose files this user may not read, and the file system's answer (EACCES, EPERM). */
export interface UnreadableProcess {
  pid: number;
  code: string;
}

/** Whether a failed read means the process has gone (exited between listing and reading). */
export function isGone(error: unknown): boolean {
  const { code } = error as KsmError;
  return code === 'ENOENT' || code === 'ESRCH';
}

/**
 * Every process's pid and KSM text (as readProcessKsmText). Those that exit while being read
 * are left out; those this user may not read are listed in `unreadable`, except kernel threads,
 * which have no memory of their own to merge.
 */
export function readAllProcessKsmTexts(): {
  texts: ({ pid: number } & ReturnType<typeof readProcessKsmText>)[];
  unreadable: UnreadableProcess[];
} {
  const texts: ({ pid: number } & ReturnType<typeof readProcessKsmText>)[] = [];
  const unreadable: UnreadableProcess[] = [];
  for (const name of listKernelDirectory('/proc') ?? []) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      texts.push({ pid, ...readProcessKsmText(pid) });
    } catch (error) {
      if (isGone(error) || isKernelThread(pid) !== false) continue;
      unreadable.push({ pid, code: (error as KsmError).code ?? String(error) });
    }
  }
  return { texts, unreadable: unreadable.sort((a, b) => a.pid - b.pid) };
}

/** Whether the process is a kernel thread; undefined when it has gone (stat is world-readable). */
function isKernelThread(pid: number): boolean | undefined {
  try {
    return isKernelThreadStat(readKernelFile(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/**
 * The command line (or, where it is empty, the command name); '?' where it cannot be read.
 * Decoded as UTF-8, as a terminal would show it (invalid bytes become U+FFFD); it is any
 * user's text, so escape it before printing (escapeForTerminal).
 */
export function readProcessCommand(pid: number): string {
  const utf8 = (text: string) => Buffer.from(text, 'latin1').toString('utf8');
  try {
    const cmdline = readKernelFile(`/proc/${pid}/cmdline`).replace(/\0+$/, '').split('\0').join(' ');
    return utf8(cmdline || `[${readKernelFile(`/proc/${pid}/comm`).trim()}]`);
  } catch {
    return '?';
  }
}

/**
 * RSS and PSS from /proc/<pid>/smaps_rollup: the kernel walks every page table of the process
 * to build it, so read it only for the processes shown. Undefined values where this user may
 * not read it; a process that has gone throws KsmError (ENOENT, or ESRCH once it is a zombie).
 */
export function readProcessMemory(pid: number): ProcessMemory {
  try {
    return parseSmapsRollup(readKernelFile(`/proc/${pid}/smaps_rollup`));
  } catch (error) {
    const { code } = error as KsmError;
    if (code === 'ESRCH' || (code === 'ENOENT' && !kernelPathExists(`/proc/${pid}`))) throw error; // gone
    // Not this user's (EACCES), or a kernel without smaps_rollup (ENOENT, before 4.14).
    return { rssBytes: undefined, pssBytes: undefined };
  }
}

/**
 * A process's whole smaps: every mapping with its flags and resident anonymous memory, for an
 * estimate. A failure throws KsmError (ENOENT or ESRCH once it has gone, EACCES not ours).
 */
export function readProcessSmaps(pid: number): string {
  return readKernelFile(`/proc/${pid}/smaps`);
}

/**
 * Every Node.js process this user can see: its command name (comm) or the program of its
 * command line is `node` or `nodejs`. Kernel threads and processes gone meanwhile are left out.
 */
export function listNodeProcesses(): number[] {
  const pids: number[] = [];
  for (const name of listKernelDirectory('/proc') ?? []) {
    if (!/^\d+$/.test(name)) continue;
    const isNode = (word: string | undefined) => word === 'node' || word === 'nodejs';
    try {
      // comm is enough for most; the command line only for a renamed main thread.
      if (isNode(readKernelFile(`/proc/${name}/comm`).trim()) ||
        isNode(readKernelFile(`/proc/${name}/cmdline`).split('\0')[0].split('/').pop())) pids.push(Number(name));
    } catch {
      // Gone since the listing.
    }
  }
  return pids.sort((a, b) => a - b);
}
