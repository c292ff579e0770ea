// The readers of /proc and /sys text. Failures become KsmError with the file system's code.
import fs from 'node:fs';
import { toKsmError } from './errors.js';

// Kernel files are small and read often (stats, watchers): one reused buffer, and no fstat,
// whose size is meaningless for them anyway.
let scratch = Buffer.allocUnsafe(16 * 1024);

function readWhole(path: string): string {
  const fd = fs.openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) scratch = Buffer.concat([scratch, Buffer.allocUnsafe(scratch.length)]);
      const read = fs.readSync(fd, scratch, length, scratch.length - length, null);
      if (read === 0) return scratch.toString('latin1', 0, length);
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
