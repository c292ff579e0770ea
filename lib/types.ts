// Public types that the modules below the API (kernel/, args.ts) or a runtime module would
// otherwise declare. Like errors.ts it imports nothing of ours, so every layer may take its
// types from here without importing the code that loads the addon or reads the kernel.

/** Memory a KSM call can act on: an ArrayBuffer or any view of one (Buffer, TypedArray, DataView). */
export type MemoryLike = ArrayBuffer | ArrayBufferView;

/** A process to read: 'self' or a pid. */
export type Pid = number | 'self';

/** The bytes of the view a call marks or unmarks: [offset, offset + length). */
export interface AdviseOptions {
  /** First byte of the range, from the start of the view. Default 0. */
  offset?: number;
  /** Bytes in the range. Default: from offset to the end of the view. */
  length?: number;
}

/** Where a page lives: already mergeable, or the kind of mapping that would have to be. */
export type MappingKind = 'mergeable' | 'heap' | 'stack' | 'anonymous' | 'file';

/** Per-process KSM figures, from /proc/<pid>/ksm_stat. A field the kernel does not report is undefined. */
export interface ProcessStats {
  /** Pages of this process currently merged with others (ksm_merging_pages, 5.19+). */
  mergingPages: number | undefined;
  /** Reverse-map items KSM keeps for this process: one per scanned page (ksm_rmap_items, 6.1+). */
  rmapItems: number | undefined;
  /** Empty pages merged with the kernel's zero page (ksm_zero_pages, 6.6+). */
  zeroPages: number | undefined;
  /** Bytes KSM saves for this process net of its metadata; may be negative (ksm_process_profit, 6.4+). */
  profitBytes: number | undefined;
  /** Process-wide merge is on (PR_SET_MEMORY_MERGE) (ksm_merge_any, 6.14+). */
  mergeAny: boolean | undefined;
  /** Some mapping of the process is mergeable (ksm_mergeable, 6.14+). */
  mergeable: boolean | undefined;
}

/** The ksmd settings and counters of /sys/kernel/mm/ksm; a file the kernel lacks is undefined. */
export interface KsmdValues {
  run: number | undefined;
  pagesToScan: number | undefined;
  sleepMillisecs: number | undefined;
  pagesShared: number | undefined;
  pagesSharing: number | undefined;
  pagesUnshared: number | undefined;
  pagesVolatile: number | undefined;
  fullScans: number | undefined;
  generalProfit: number | undefined;
  ksmZeroPages: number | undefined;
  maxPageSharing: number | undefined;
  useZeroPages: number | undefined;
  mergeAcrossNodes: number | undefined;
  smartScan: number | undefined;
  pagesSkipped: number | undefined;
  pagesScanned: number | undefined;
  stableNodeChains: number | undefined;
  stableNodeDups: number | undefined;
  stableNodeChainsPruneMillisecs: number | undefined;
  /** The selected mode, e.g. 'none' or 'scan-time'. */
  advisorMode: string | undefined;
  advisorMaxCpu: number | undefined;
  advisorTargetScanTime: number | undefined;
  advisorMinPagesToScan: number | undefined;
  advisorMaxPagesToScan: number | undefined;
}

/** `adaptive`: place only where it pays (docs/api.md, "Where it places"); `always`: place every
 *  Buffer at or above the threshold, whatever ksmd does. */
export type Placement = 'adaptive' | 'always';

/** Why a class is, or is not, placed now. */
export type PlacementReason =
  /** Placement `always`. */
  | 'always'
  /** ksmd is not running (or its state cannot be read): placed pages could not merge. */
  | 'ksmdStopped'
  /** Placing, until ksmd has scanned what was placed often enough to judge. */
  | 'awaitingEvidence'
  /** What merged outweighs what placing wastes. */
  | 'merging'
  /** It does not: only 1 in PROBE_EVERY of the class is placed, to see if that changes. */
  | 'notMerging'
  /** /proc/self/pagemap cannot be read, so nothing tells whether placed pages merge. */
  | 'noEvidence';
