export { markMergeable, unmarkMergeable, type AdvisedRange, type AdviseOptions } from './advise.js';
export { KsmError, KsmUnsupportedError, type KsmErrorDetails } from './errors.js';
export { disableProcessMerge, enableProcessMerge, isProcessMergeEnabled } from './process.js';
