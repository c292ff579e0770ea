// Which of a process's mappings an estimate reads, what kind each is, and how KSM treats it.
import type { MappingKind } from '../types.js';
import type { SmapsMapping } from './parse.js';

/** In the order the addon's counts use (their kind index). */
export const MAPPING_KINDS: readonly MappingKind[] = ['mergeable', 'heap', 'stack', 'anonymous', 'file'];

// PageFlag in native/core/process_pages.h.
export const PAGE_FLAGS = { mergeableIfProcessWide: 1, markedNow: 2, markedByApp: 4 } as const;

// VmFlags of mappings KSM refuses (vma_ksm_compatible): shared, I/O and PFN maps, hugetlb,
// mixed maps, don't-expand (driver) mappings.
const INCOMPATIBLE = new Set(['sh', 'ms', 'io', 'pf', 'ht', 'mm', 'de']);

/** One range to scan: [start, end) with its kind index and PAGE_FLAGS, and the bytes of
 *  anonymous memory resident in it (smaps' Anonymous), which is what reading it costs. */
export interface ScanRange {
  start: number;
  end: number;
  kind: number;
  flags: number;
  anonymousBytes: number;
}

function kindOf(mapping: SmapsMapping): MappingKind | undefined {
  if (mapping.flags.includes('mg')) return 'mergeable';
  const { name } = mapping;
  if (name === '') return 'anonymous';
  if (name === '[heap]') return 'heap';
  if (name.startsWith('[stack')) return 'stack';
  if (name.startsWith('[anon')) return 'anonymous';
  if (name.startsWith('[')) return undefined; // [vdso], [vvar], [vsyscall], [uprobes]: the kernel's own
  return 'file'; // a private file mapping: its written (copied) pages are anonymous
}

/**
 * The mappings (parseSmapsMappings) that hold private anonymous pages KSM could merge, as
 * ranges to scan. `mergeAny` (process-wide merge on) means a mapping's mg says nothing of what
 * the app marked itself; undefined (not known) counts like true.
 */
export function scanRanges(mappings: readonly SmapsMapping[], mergeAny: boolean | undefined): ScanRange[] {
  const ranges: ScanRange[] = [];
  for (const mapping of mappings) {
    if (mapping.anonymousKb === 0 || mapping.perms[3] !== 'p') continue;
    if (mapping.flags.some((flag) => INCOMPATIBLE.has(flag))) continue;
    const kind = kindOf(mapping);
    if (kind === undefined) continue;
    const marked = kind === 'mergeable';
    const flags = PAGE_FLAGS.mergeableIfProcessWide | (marked ? PAGE_FLAGS.markedNow : 0) |
      (marked && mergeAny === false ? PAGE_FLAGS.markedByApp : 0);
    ranges.push({ start: mapping.start, end: mapping.end, kind: MAPPING_KINDS.indexOf(kind), flags,
      anonymousBytes: mapping.anonymousKb * 1024 });
  }
  return ranges;
}

/**
 * Whether process-wide merge is on, from smaps alone (kernels before 6.14 do not say it in
 * ksm_stat): it marks every mapping KSM can merge, the stack included, which an app marking
 * its own memory never does. Undefined where smaps lists no [stack].
 */
export function looksMergeAny(mappings: readonly SmapsMapping[]): boolean | undefined {
  const stack = mappings.find((mapping) => mapping.name === '[stack]');
  return stack && stack.flags.includes('mg');
}

/**
 * Batches of ranges holding about `maxBytes` of anonymous memory each: one addon call a batch,
 * so progress and abort are seen between them. A range holding more is cut into equal pieces of
 * address space (page-aligned), each counted as an equal share. Batches follow resident memory,
 * not address space: a sanitizer's terabytes of shadow holding a few MiB are one batch.
 */
export function batchRanges(ranges: readonly ScanRange[], maxBytes: number, pageSize: number): ScanRange[][] {
  const batches: ScanRange[][] = [];
  let batch: ScanRange[] = [];
  let size = 0;
  for (const range of ranges) {
    const pieces = Math.max(1, Math.ceil(range.anonymousBytes / maxBytes));
    const span = Math.ceil((range.end - range.start) / pieces / pageSize) * pageSize;
    for (let start = range.start; start < range.end; start += span) {
      const piece = { ...range, start, end: Math.min(range.end, start + span),
        anonymousBytes: range.anonymousBytes / pieces };
      if (size + piece.anonymousBytes > maxBytes && batch.length) {
        batches.push(batch);
        batch = [];
        size = 0;
      }
      batch.push(piece);
      size += piece.anonymousBytes;
    }
  }
  if (batch.length) batches.push(batch);
  return batches;
}
