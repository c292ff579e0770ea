// Preload entry (node -r or --import node-ksm/register). What NODE_KSM_MERGE and the variables
// beside it turn on, and why it is silent without them: docs/api.md, "The preload hook".
import { constants } from 'node:buffer';
import type { Placement } from './types.js';

// The library is loaded inside the try blocks below, not by import statements, so that where it
// cannot be (Node's permission model reading only the app's files, a broken install) the app
// still starts, with the warning.
const processMerge = () => require('./process-merge.js') as typeof import('./process-merge.js');
const transparent = () => require('./transparent.js') as typeof import('./transparent.js');

const warn = (text: string) => process.stderr.write(`node-ksm: ${text}\n`);
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** NODE_KSM_BUFFER_THRESHOLD as a byte count, or the default (said once) when it is not one. */
function bufferThreshold(DEFAULT_THRESHOLD: number): number {
  const text = process.env.NODE_KSM_BUFFER_THRESHOLD;
  if (text === undefined || text === '') return DEFAULT_THRESHOLD;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isSafeInteger(value) && value >= 1 && value <= constants.MAX_LENGTH) return value;
  warn(`NODE_KSM_BUFFER_THRESHOLD=${JSON.stringify(text)} is not a whole number of bytes from 1 to ` +
    `buffer.constants.MAX_LENGTH: using ${DEFAULT_THRESHOLD}`);
  return DEFAULT_THRESHOLD;
}

/** NODE_KSM_PLACEMENT, or the default (said once) when it is not a placement. */
function placement(): Placement {
  const text = process.env.NODE_KSM_PLACEMENT;
  if (text === undefined || text === '' || text === 'adaptive') return 'adaptive';
  if (text === 'always') return text;
  warn(`NODE_KSM_PLACEMENT=${JSON.stringify(text)} is neither adaptive nor always: using adaptive`);
  return 'adaptive';
}

const setting = process.env.NODE_KSM_MERGE;
if (setting === '1') {
  try {
    processMerge().enableProcessMerge();
  } catch (error) {
    warn(`NODE_KSM_MERGE=1, but process-wide merge could not be turned on: ${reason(error)}`);
  }
} else if (setting === 'buffers') {
  try {
    const { DEFAULT_THRESHOLD, enableTransparentMode } = transparent();
    enableTransparentMode({ threshold: bufferThreshold(DEFAULT_THRESHOLD), placement: placement() });
  } catch (error) {
    warn(`NODE_KSM_MERGE=buffers, but Buffers stay Node's own: ${reason(error)}`);
  }
} else if (setting !== undefined && setting !== '' && setting !== '0') {
  warn(`NODE_KSM_MERGE=${JSON.stringify(setting)} is not a value node-ksm knows ` +
    '(1 turns process-wide merge on, buffers turns transparent mode on; 0 or unset leaves both off): ' +
    'nothing was changed');
}
