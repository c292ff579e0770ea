// Every read and write of /proc and /sys goes through here. Failures become KsmError with the
// file system's code, errno, syscall and path.
import fs from 'node:fs';
import { toKsmError } from '../errors.js';

export const KSM_SYSFS = '/sys/kernel/mm/ksm';

// Kernel files are small and read often (stats, watchers): one reused buffer, and no fstat,
// whose size is meaningless for them anyway.
const SCRATCH_BYTES = 16 * 1024;
let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

function readWhole(path: string): string {
  const fd = fs.openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) scratch = Buffer.concat([scratch, Buffer.allocUnsafe(scratch.length)]);
      const read = fs.readSync(fd, scratch, length, scratch.length - length, null);
      if (read === 0) {
        const text = scratch.toString('latin1', 0, length);
        // A large file (/proc/self/maps near the mapping limit) must not pin its size in memory.
        if (scratch.length > SCRATCH_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
        return text;
      }
      length += read;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole /proc or /sys file as text; a failure throws KsmError (ENOENT, EACCES, ...). */
export function readKernelFile(path: string): string {
  try {
    return readWhole(path);
  } catch (error) {
    throw toKsmError(error);
  }
}

/** Like readKernelFile, but a file this kernel does not have reads as undefined. */
export function readOptionalKernelFile(path: string): string | undefined {
  try {
    return readWhole(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toKsmError(error);
  }
}

/**
 * The number of lines in a /proc file, read in place through the reused buffer: for
 * /proc/self/maps, which is read when the process is near its mapping limit, where a large
 * allocation could need the very mapping the kernel will not give.
 */
export function countKernelFileLines(path: string): number {
  try {
    const fd = fs.openSync(path, 'r');
    try {
      let lines = 0;
      for (;;) {
        const read = fs.readSync(fd, scratch, 0, scratch.length, null);
        if (read === 0) return lines;
        for (let i = scratch.indexOf(10); i !== -1 && i < read; i = scratch.indexOf(10, i + 1)) lines++;
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw toKsmError(error);
  }
}

/** Writes a /sys file (root only); a failure throws KsmError naming the file. */
export function writeKernelFile(path: string, value: string): void {
  try {
    fs.writeFileSync(path, value);
  } catch (error) {
    throw toKsmError(error, path);
  }
}

/** Whether this process may write the file: false with the error's code where it may not. */
export function kernelFileWritable(path: string): { writable: true } | { writable: false; code: string } {
  try {
    fs.accessSync(path, fs.constants.W_OK);
    return { writable: true };
  } catch (error) {
    return { writable: false, code: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

/** The names in a /proc or /sys directory, or undefined where it does not exist. */
export function listKernelDirectory(path: string): string[] | undefined {
  try {
    return fs.readdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toKsmError(error);
  }
}

/** Whether a /proc or /sys path exists. */
export function kernelPathExists(path: string): boolean {
  return fs.existsSync(path);
}

/**
 * Reads a /proc file in chunks until stop(textSoFar) says enough, or to its end. For files
 * like smaps that the kernel generates as they are read: stopping early saves that work.
 */
export function readKernelFileUntil(path: string, stop: (text: string) => boolean): string {
  try {
    const fd = fs.openSync(path, 'r');
    try {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      let text = '';
      for (;;) {
        const read = fs.readSync(fd, chunk, 0, chunk.length, null);
        if (read === 0) return text;
        text += chunk.toString('latin1', 0, read);
        if (stop(text)) return text;
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw toKsmError(error);
  }
}
