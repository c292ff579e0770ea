// What to do about the system call failures users meet: one sentence appended to the Node-style
// message ("EINVAL: invalid argument, prctl (...)"), whose code, errno and syscall stay as they are.
import os from 'node:os';
import { KsmError } from '../errors.js';
import { ksmdPath } from './ksmd-files.js';
import { mappingLimitAdvice, mappingUse } from './mapping-limit.js';
import { kernelAtLeast } from './platform.js';

const SECCOMP = 'a seccomp filter (as container runtimes install) blocks this system call; ' +
  'allow it in the profile, or run without one';

function hintFor(error: KsmError): string | undefined {
  const { code, syscall, path } = error;
  if (code === 'EACCES' && path?.endsWith('/ksm_stat')) {
    return 'ksm_stat is readable only by the process\'s owner and root, and a process that switched user ' +
      'with setuid is made non-dumpable, so its /proc files are root\'s; read it as root, or keep the process dumpable';
  }
  if ((code === 'EACCES' || code === 'EPERM' || code === 'EROFS') && path?.startsWith('/sys/kernel/mm/ksm/')) {
    return code === 'EROFS'
      ? 'sysfs is mounted read-only here (a container): control ksmd from the host'
      : 'controlling ksmd needs root';
  }
  if (code === 'EBUSY' && path?.startsWith('/sys/kernel/mm/ksm/')) {
    return 'this setting can change only while no pages are merged: unmerge everything first (ksmd.unmergeAll())';
  }
  if (code === 'EPERM' || code === 'ENOSYS') return SECCOMP;
  if (syscall === 'prctl' && code === 'EINVAL' && !kernelAtLeast(6, 4)) {
    return `process-wide merge (PR_SET_MEMORY_MERGE) needs Linux 6.4 or later and this is ${os.release()}; ` +
      'mark memory with markMergeable or allocate it with allocMergeable instead';
  }
  if (syscall === 'madvise' && code === 'EINVAL') {
    return 'this kernel may lack KSM (CONFIG_KSM), or the range is not one madvise accepts';
  }
  if ((syscall === 'madvise' || syscall === 'mmap') && (code === 'ENOMEM' || code === 'EAGAIN')) {
    const use = mappingUse();
    // Each mark of part of a mapping splits it: near the limit, that is what failed.
    if (use && use.maps >= use.limit - 64) return mappingLimitAdvice(use);
    return 'the kernel could not find memory for it; free memory, or mark less at once';
  }
  return undefined;
}

/** The error with what to do about it appended to its message, when there is something to say. */
export function withHint(error: unknown): unknown {
  if (!(error instanceof KsmError)) return error;
  const hint = hintFor(error);
  if (!hint) return error;
  const { code, errno, syscall, path } = error;
  return new KsmError(`${error.message} (${hint})`, { code, errno, syscall, path });
}

// What capabilities() reports as off, and watch()'s warning: sentences that name the kernel file
// that says so, built here so that only kernel/ names /proc and /sys.

/** ksmd is stopped (watch() adds how to start it from the API). */
export const KSMD_STOPPED = `ksmd is not running: nothing will merge until root writes 1 to ${ksmdPath('run')}`;

export function ksmdRunUnreadable(code: string): string {
  return `${ksmdPath('run')} cannot be read (${code}): whether ksmd runs is unknown; mount sysfs`;
}

export function ksmdNotWritable(code: string): string {
  return `this process cannot write ${ksmdPath('run')} (${code}): starting, stopping and tuning ksmd needs root`;
}

/**
 * Why inspect() cannot tell merged pages, from what it read of a page this process touched:
 * nothing (`present` undefined: pagemap itself is closed to it), or presence but no frames.
 */
export function pagesNotInspectable(present: number | undefined): string {
  return present === undefined
    ? '/proc/self/pagemap cannot be read by this process (one made non-dumpable, as by setuid, cannot read ' +
      'its own /proc files): inspect() cannot tell present or merged pages'
    : '/proc/self/pagemap hides frame numbers from this process (or /proc/kpageflags is unreadable): ' +
      'inspect() cannot tell merged pages without CAP_SYS_ADMIN (root)';
}

/** Why inspect() cannot tell merged pages when reading a page failed with `code`. */
export function pageFilesUnreadable(code: string): string {
  return `/proc/self/pagemap or /proc/kpageflags cannot be read (${code}): inspect() cannot tell merged pages ` +
    'without root';
}
