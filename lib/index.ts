// The package's API: re-exports only. Its reference is docs/api.md, where each export's TSDoc links.
export { areMarkedMergeable, isMarkedMergeable, markMergeable, unmarkMergeable, type AdvisedRange } from './advise.js';
export {
  allocMergeable, mergeableFrom, readFileMergeable, readFileMergeableAsync, type ReadFileMergeableOptions,
  type ReadFileMergeableSyncOptions,
} from './alloc.js';
export { capabilities, type Capabilities } from './capabilities.js';
export {
  estimate, type Estimate, type EstimatedProcess, type EstimateOptions, type EstimateProgress, type PageCounts,
  type PredictedSaving,
} from './estimate.js';
export { inspect, type PageInspection } from './inspect.js';
export { ksmd, type KsmdSettings } from './ksmd.js';
export {
  KsmError, KsmUnsupportedError, type KsmdRollbackFailure, type KsmErrnoCode, type KsmErrorCode, type KsmErrorDetails,
} from './errors.js';
export { disableProcessMerge, enableProcessMerge, isProcessMergeEnabled } from './process-merge.js';
export { processStats, systemStats, type SystemStats } from './stats.js';
export {
  disableTransparentMode, enableTransparentMode, transparentModeStats,
  type BufferTally, type TransparentModeClass, type TransparentModeOptions, type TransparentModeStats,
} from './transparent.js';
export type {
  AdviseOptions, KsmdValues, MappingKind, MemoryLike, Pid, Placement, PlacementReason, ProcessStats,
} from './types.js';
export { waitForMerge, watch, type KsmSnapshot, type WaitForMergeOptions, type WatchOptions } from './watch.js';
