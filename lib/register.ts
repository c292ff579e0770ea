// Preload entry: `node -r node-ksm/register app.js`, `node --import node-ksm/register app.js`,
// or NODE_OPTIONS="-r node-ksm/register". With NODE_KSM_MERGE=1 it turns process-wide merge on
// before the app runs; without it, it changes nothing. It never stops the app from starting:
// on a host that cannot merge it prints one warning to stderr.
import { enableProcessMerge } from './process.js';

if (process.env.NODE_KSM_MERGE === '1') {
  try {
    enableProcessMerge();
  } catch (error) {
    process.stderr.write(`node-ksm: NODE_KSM_MERGE=1, but process-wide merge could not be turned on: ` +
      `${error instanceof Error ? error.message : String(error)}\n`);
  }
}
