// Per-process files: /proc/<pid>/ksm_stat (6.1+), ksm_merging_pages (5.19+), cmdline, comm.
import { kernelPathExists, listKernelDirectory, readKernelFile, readOptionalKernelFile } from './files.js';
import { withHint } from './hints.js';

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

/** Every process's pid and KSM text (as readProcessKsmText), leaving out those this user may
 *  not read and those that exit while being read. */
export function readAllProcessKsmTexts(): ({ pid: number } & ReturnType<typeof readProcessKsmText>)[] {
  const result: ({ pid: number } & ReturnType<typeof readProcessKsmText>)[] = [];
  for (const name of listKernelDirectory('/proc') ?? []) {
    if (!/^\d+$/.test(name)) continue;
    try {
      result.push({ pid: Number(name), ...readProcessKsmText(Number(name)) });
    } catch {
      // gone, or not ours to read
    }
  }
  return result;
}

/** The command line (or, where it is empty, the command name); '?' where it cannot be read. */
export function readProcessCommand(pid: number): string {
  try {
    const cmdline = readKernelFile(`/proc/${pid}/cmdline`).replace(/\0+$/, '').split('\0').join(' ');
    return cmdline || `[${readKernelFile(`/proc/${pid}/comm`).trim()}]`;
  } catch {
    return '?';
  }
}
