// Preload entry: `node -r node-ksm/register app.js`, `node --import node-ksm/register app.js`,
// or NODE_OPTIONS="-r node-ksm/register". With NODE_KSM_MERGE=1 it turns process-wide merge on
// before the app runs. It never stops the app from starting: on a host that cannot merge it
// prints one warning to stderr.
//
// Without NODE_KSM_MERGE it does nothing, and says nothing: NODE_OPTIONS reaches every node
// process started below it (npm, build tools, their children), and a line on each one's stderr
// would break tools that read it; unsetting the variable is how a deployment turns merge off
// without editing NODE_OPTIONS. A value it does not know (a typo, 'true') is said once on
// stderr, since that is a mistake and not a choice.
import { enableProcessMerge } from './process-merge.js';

const setting = process.env.NODE_KSM_MERGE;
if (setting === '1') {
  try {
    enableProcessMerge();
  } catch (error) {
    process.stderr.write(`node-ksm: NODE_KSM_MERGE=1, but process-wide merge could not be turned on: ` +
      `${error instanceof Error ? error.message : String(error)}\n`);
  }
} else if (setting !== undefined && setting !== '' && setting !== '0') {
  process.stderr.write(`node-ksm: NODE_KSM_MERGE=${JSON.stringify(setting)} is not a value node-ksm knows ` +
    '(1 turns process-wide merge on; 0 or unset leaves it off): nothing was changed\n');
}
