import { watch } from '../watch.js';
import { formatBytes, formatCount, sparkline } from './format.js';
import { describeSystem } from './status.js';

const HISTORY = 60;

/**
 * Live figures until the signal aborts: redrawn in place on a terminal, one line per refresh
 * otherwise (for logs and pipes).
 */
export async function watchView(intervalSeconds: number, signal: AbortSignal, out: NodeJS.WriteStream): Promise<void> {
  const saved: number[] = [];
  let drawnLines = 0;
  for await (const { system, delta } of watch({ interval: intervalSeconds * 1000, signal })) {
    saved.push(system.savedBytes ?? 0);
    if (saved.length > HISTORY) saved.shift();
    if (!out.isTTY) {
      out.write(`${new Date().toISOString()} saved=${formatBytes(system.savedBytes)} ` +
        `pages_sharing=${system.pagesSharing} (${delta.pagesSharing >= 0 ? '+' : ''}${delta.pagesSharing}) ` +
        `pages_shared=${system.pagesShared} full_scans=${system.fullScans} run=${system.run}\n`);
      continue;
    }
    const text = `${describeSystem(system)}\n` +
      `change:   pages_sharing ${delta.pagesSharing >= 0 ? '+' : ''}${formatCount(delta.pagesSharing)}, ` +
      `full scans +${formatCount(delta.fullScans)} in ${intervalSeconds} s\n` +
      `saved over time: ${sparkline(saved)} ${formatBytes(system.savedBytes)}\n(Ctrl-C to stop)`;
    // Move up over the last frame and clear it, then draw the new one.
    if (drawnLines > 0) out.write(`\x1b[${drawnLines}F\x1b[J`);
    out.write(`${text}\n`);
    drawnLines = text.split('\n').length;
  }
}
