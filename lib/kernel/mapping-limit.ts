// vm.max_map_count: each markMergeable of part of a mapping can split it in two more. When a
// process runs out of mappings, whatever asks next fails: often malloc or V8, which abort the
// process (std::bad_alloc) rather than throw. So marking stops first, with room left over.
import os from 'node:os';
import { KsmError } from '../errors.js';
import { countKernelFileLines, readKernelFile } from './files.js';

/** This process's mapping count and vm.max_map_count, or undefined where they cannot be read. */
export function mappingUse(): { maps: number; limit: number } | undefined {
  try {
    return { maps: countKernelFileLines('/proc/self/maps'),
      limit: Number(readKernelFile('/proc/sys/vm/max_map_count')) };
  } catch {
    return undefined;
  }
}

/** What to do at the limit, for error messages. */
export function mappingLimitAdvice({ maps, limit }: { maps: number; limit: number }): string {
  return `this process has ${maps} memory mappings and vm.max_map_count is ${limit}: marking many small ` +
    'buffers one by one splits memory into mappings; allocate them with allocMergeable or mergeableFrom ' +
    '(a few shared mappings), or raise vm.max_map_count';
}

/** Mappings kept free for the runtime (V8, malloc, libuv) when marking stops. */
function reservedMappings(limit: number): number {
  return Math.max(1024, Math.ceil(limit * 0.02));
}

// Calls allowed before the count is read again: each adds at most two mappings, so reading it
// once per half the remaining room keeps the cost amortized and the check exact enough.
let callsBeforeCheck = 0;

/**
 * Throws KsmError ENOMEM, before any system call, when one more advice could eat into the
 * mappings reserved for the runtime.
 */
export function checkMappingRoom(): void {
  if (--callsBeforeCheck > 0) return;
  const use = mappingUse();
  if (!use) {
    callsBeforeCheck = Infinity;
    return;
  }
  const room = use.limit - reservedMappings(use.limit) - use.maps;
  if (room < 2) {
    callsBeforeCheck = 0;
    throw new KsmError(`ENOMEM: not enough memory, madvise (${mappingLimitAdvice(use)}; node-ksm stopped ` +
      `marking with ${use.limit - use.maps} mappings left, so the process can keep running)`,
    { code: 'ENOMEM', errno: -os.constants.errno.ENOMEM, syscall: 'madvise' });
  }
  callsBeforeCheck = Math.floor(room / 2);
}

/** After the kernel refused an advice, look again at the next call. */
export function recheckMappingRoom(): void {
  callsBeforeCheck = 0;
}
