// Whether memory is marked mergeable: only the `mg` VmFlag in /proc/self/smaps says so
// (madvise succeeds silently on memory KSM cannot merge, and no other file has VmFlags).
import { readKernelFileUntil } from './files.js';
import { isRangeFlagged, lastSmapsMappingStart } from './parse.js';

/** An address range [begin, end). */
export type AddressRange = readonly [begin: number, end: number];

/**
 * /proc/self/smaps up to the first mapping that starts at or past `end`. The kernel builds smaps
 * as it is read, walking page tables under the process's mmap lock, so stopping early saves work.
 */
function readSmapsUntil(end: number): string {
  // Mappings are listed in address order: once one starts at or past the range, stop reading.
  // Only the text added since the last look is searched (from the last line start before it).
  let searched = 0;
  return readKernelFileUntil('/proc/self/smaps', (text) => {
    const from = text.lastIndexOf('\n', searched) + 1;
    searched = text.length;
    return lastSmapsMappingStart(text.slice(from)) >= end;
  });
}

const HEADER = /^([0-9a-f]+)-[0-9a-f]+ /gm;

/**
 * For each range, whether every byte of it lies in mappings whose VmFlags carry `mg`, from one
 * read of smaps. An empty range is not marked. Each range is judged by isRangeFlagged on just
 * the mappings around it, so many ranges cost one read and one pass over the text.
 */
export function areRangesMarkedMergeable(ranges: readonly AddressRange[]): boolean[] {
  let last = 0;
  for (const [begin, end] of ranges) if (end > begin && end > last) last = end;
  if (last === 0) return ranges.map(() => false);
  const smaps = readSmapsUntil(last);
  const starts: number[] = []; // each mapping's start address, in address order
  const offsets: number[] = []; // where its header begins in the text
  for (const match of smaps.matchAll(HEADER)) {
    starts.push(parseInt(match[1], 16));
    offsets.push(match.index);
  }
  // The text from the last mapping starting at or below `begin` to the first starting at or past `end`.
  const around = (begin: number, end: number) => {
    const first = Math.max(lastAtOrBelow(starts, begin), 0);
    const after = lastAtOrBelow(starts, end - 1) + 1;
    return smaps.slice(offsets[first] ?? smaps.length, offsets[after] ?? smaps.length);
  };
  return ranges.map(([begin, end]) => end > begin && isRangeFlagged(around(begin, end), begin, end, 'mg'));
}

/** The index of the last of the sorted numbers that is <= value, or -1. */
function lastAtOrBelow(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] <= value) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/** Whether every byte of [begin, end) lies in mappings whose VmFlags carry `mg`. */
export function isRangeMarkedMergeable(begin: number, end: number): boolean {
  return areRangesMarkedMergeable([[begin, end]])[0];
}
