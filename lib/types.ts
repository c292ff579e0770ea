// Public types that the modules below the API (kernel/, args.ts) or a runtime module would
// otherwise declare. Like errors.ts it imports nothing of ours, so every layer may take its
// types from here without importing the code that loads the addon or reads the kernel.

/** An ArrayBuffer or any view of one: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#memorylike */
export type MemoryLike = ArrayBuffer | ArrayBufferView;

/** 'self' or a process id: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#pid */
export type Pid = number | 'self';

/** The byte range of the view a call marks or unmarks: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#adviseoptions */
export interface AdviseOptions {
  offset?: number;
  length?: number;
}

/** The kind of mapping a page lives in: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#mappingkind */
export type MappingKind = 'mergeable' | 'heap' | 'stack' | 'anonymous' | 'file';

/** Per-process KSM figures, from /proc/<pid>/ksm_stat: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#processstats */
export interface ProcessStats {
  mergingPages: number | undefined;
  rmapItems: number | undefined;
  zeroPages: number | undefined;
  profitBytes: number | undefined;
  mergeAny: boolean | undefined;
  mergeable: boolean | undefined;
}

/** The values of /sys/kernel/mm/ksm: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#systemstats-ksmdvalues */
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
  advisorMode: string | undefined;
  advisorMaxCpu: number | undefined;
  advisorTargetScanTime: number | undefined;
  advisorMinPagesToScan: number | undefined;
  advisorMaxPagesToScan: number | undefined;
}

/** Where transparent mode places: 'adaptive' or 'always': https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#placement */
export type Placement = 'adaptive' | 'always';

/** Why a class of Buffers is, or is not, placed now: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#placementreason */
export type PlacementReason =
  | 'always'
  | 'ksmdStopped'
  | 'awaitingEvidence'
  | 'merging'
  | 'notMerging'
  | 'noEvidence';
