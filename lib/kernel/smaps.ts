// Whether memory is marked mergeable: only the `mg` VmFlag in /proc/self/smaps says so
// (madvise succeeds silently on memory KSM cannot merge, and no other file has VmFlags).
import { readKernelFileUntil } from './files.js';
import { isRangeFlagged, lastSmapsMappingStart } from './parse.js';

/**
 * Whether every byte of [begin, end) lies in mappings whose VmFlags carry `mg`. smaps is read
 * only up to the range's end: the kernel builds it as it is read, walking page tables.
 */
export function isRangeMarkedMergeable(begin: number, end: number): boolean {
  if (end <= begin) return false;
  // Mappings are listed in address order: once one starts at or past the range, stop reading.
  // Only the text added since the last look is searched (from the last line start before it).
  let searched = 0;
  const smaps = readKernelFileUntil('/proc/self/smaps', (text) => {
    const from = text.lastIndexOf('\n', searched) + 1;
    searched = text.length;
    return lastSmapsMappingStart(text.slice(from)) >= end;
  });
  return isRangeFlagged(smaps, begin, end, 'mg');
}
