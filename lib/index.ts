export { markMergeable, unmarkMergeable, type AdvisedRange, type AdviseOptions } from './advise.js';
export {
  allocMergeable, mergeableFrom, readFileMergeable, readFileMergeableAsync,
} from './alloc.js';
export { capabilities, type Capabilities } from './capabilities.js';
export { inspect, type PageInspection } from './inspect.js';
export { ksmd, type KsmdSettings } from './ksmd.js';
export { KsmError, KsmUnsupportedError, type KsmErrorDetails } from './errors.js';
export type { KsmdValues, ProcessStats } from './parse.js';
export {
  disableProcessMerge, enableProcessMerge, isProcessMergeEnabled, processStats, type Pid,
} from './process.js';
export { isMarkedMergeable } from './smaps.js';
export { systemStats, type SystemStats } from './system.js';
export { waitForMerge, watch, type KsmSnapshot, type WaitForMergeOptions, type WatchOptions } from './watch.js';
