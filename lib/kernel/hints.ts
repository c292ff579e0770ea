// What to do about the system call failures users meet: one sentence appended to the Node-style
// message ("EINVAL: invalid argument, prctl (...)"), whose code, errno and syscall stay as they are.
import os from 'node:os';
import { KsmError } from '../errors.js';
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
