// Per-process files: /proc/<pid>/ksm_stat (6.1+), ksm_merging_pages (5.19+), cmdline, comm.
import { kernelPathExists, listKernelDirectory, readKernelFile, readOptionalKernelFile } from './files.js';
import { withHint } from './hints.js';

/** The KSM text a process has: ksm_stat, else ksm_merging_pages, else '' (before 5.19).
 *  A process that does not exist or may not be read throws KsmError (ENOENT, EACCES). */
export function readProcessKsmText(pid: number | 'self'): { ksmStat: string } | { mergingPages: string } | { none: true } {
  const dir = `/proc/${pid}`;
  let ksmStat: string | undefined;
  try {
    ksmStat = readOptionalKernelFile(`${dir}/ksm_stat`);
  } catch (error) {
    throw withHint(error);
  }
  if (ksmStat !== undefined) return { ksmStat };
  const mergingPages = readOptionalKernelFile(`${dir}/ksm_merging_pages`);
  if (mergingPages !== undefined) return { mergingPages };
  // Neither file: a kernel older than 5.19, or no such process, which throws ENOENT here.
  if (!kernelPathExists(dir)) readKernelFile(`${dir}/ksm_stat`);
  return { none: true };
}

/** Every process's pid and ksm_stat text, leaving out those this user may not read and those
 *  that exit while being read. */
export function readAllKsmStats(): { pid: number; ksmStat: string }[] {
  const result: { pid: number; ksmStat: string }[] = [];
  for (const name of listKernelDirectory('/proc') ?? []) {
    if (!/^\d+$/.test(name)) continue;
    try {
      result.push({ pid: Number(name), ksmStat: readKernelFile(`/proc/${name}/ksm_stat`) });
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
