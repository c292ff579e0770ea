// The system's page size, which every page calculation depends on (4 KiB on x86-64; 16 KiB
// or 64 KiB on some arm64 kernels).
import { addon } from './addon.js';
import { readKernelFileUntil } from './files.js';

let cachedPageSize: number | undefined;

/**
 * The system's page size in bytes: from the addon, or where it cannot load from the kernel's
 * own report in /proc/self/smaps, so the stats still work without it.
 */
export function pageSize(): number {
  if (cachedPageSize !== undefined) return cachedPageSize;
  try {
    cachedPageSize = addon().pageSize;
  } catch {
    const line = /^KernelPageSize:\s+(\d+) kB$/m;
    const smaps = readKernelFileUntil('/proc/self/smaps', (text) => line.test(text));
    cachedPageSize = Number(line.exec(smaps)?.[1] ?? 4) * 1024;
  }
  return cachedPageSize;
}
