// `ksm watch`: the figures refreshed live, redrawn in place on a terminal, a line a refresh for logs.
import { watch, type KsmSnapshot } from '../watch.js';
import { untilCtrlC, UsageError, withOptions } from './command.js';
import { formatBytes, formatCount, jsonForTerminal, sparkline } from './format.js';
import { Screen } from './screen.js';
import { describeSystem } from './status.js';

const usage = 'ksm watch [--interval SECONDS] [--count N] [--json]';

// Saved bytes kept for the sparkline: more than any terminal is wide; it shows what fits.
const HISTORY = 500;

/** One refresh as one line of JSON: when (ISO 8601), the system figures, how the counters moved. */
export function snapshotJson({ time, system, delta }: KsmSnapshot): string {
  // The delta's mergingPages and profitBytes are the watching process's own (ksm's): left out.
  const { mergingPages, profitBytes, ...systemDelta } = delta;
  return jsonForTerminal({ time: new Date(time).toISOString(), system, delta: systemDelta });
}

/** One refresh as one line for logs: time, then key=value pairs (saved is human-readable). */
function plainLine({ time, system, delta }: KsmSnapshot): string {
  return `${new Date(time).toISOString()} saved=${formatBytes(system.savedBytes)} ` +
    `pages_sharing=${system.pagesSharing} (${delta.pagesSharing >= 0 ? '+' : ''}${delta.pagesSharing}) ` +
    `pages_shared=${system.pagesShared} full_scans=${system.fullScans} run=${system.run}`;
}

/** The terminal frame for a width: the figures, the change, and as much history as fits. */
function frame({ system, delta }: KsmSnapshot, saved: number[], intervalSeconds: number, columns: number): string[] {
  const label = 'saved over time: ';
  const now = ` ${formatBytes(system.savedBytes)}`;
  const room = Math.max(columns - label.length - now.length, 1);
  return [
    ...describeSystem(system).split('\n'),
    `change:   pages_sharing ${delta.pagesSharing >= 0 ? '+' : ''}${formatCount(delta.pagesSharing)}, ` +
      `full scans +${formatCount(delta.fullScans)} in ${intervalSeconds} s`,
    `${label}${sparkline(saved.slice(-room))}${now}`,
    '(Ctrl-C to stop)',
  ];
}

export interface WatchViewOptions {
  intervalSeconds: number;
  /** Refreshes before it ends; by default it runs until the signal aborts. */
  count?: number;
  /** One JSON object a line (snapshotJson), on a terminal too. */
  json?: boolean;
  signal: AbortSignal;
}

/**
 * Live figures until `count` refreshes or the signal aborts: with --json one JSON object a
 * line; else redrawn in place on a terminal, one plain line a refresh otherwise (logs, pipes).
 */
export async function watchView({ intervalSeconds, count = Infinity, json = false, signal }: WatchViewOptions,
  out: NodeJS.WriteStream): Promise<void> {
  const screen = !json && out.isTTY ? new Screen(out) : undefined;
  const saved: number[] = [];
  let refreshes = 0;
  try {
    for await (const snapshot of watch({ interval: intervalSeconds * 1000, signal })) {
      if (json) {
        out.write(`${snapshotJson(snapshot)}\n`);
      } else if (screen) {
        saved.push(snapshot.system.savedBytes ?? 0);
        if (saved.length > HISTORY) saved.shift();
        screen.draw((columns) => frame(snapshot, saved, intervalSeconds, columns));
      } else {
        out.write(`${plainLine(snapshot)}\n`);
      }
      if (++refreshes >= count) break;
    }
  } finally {
    screen?.close();
  }
}

export const watchCommand = withOptions({
  name: 'watch',
  summary: 'the same, live, with the saved memory over time',
  usage,
  help: `The KSM figures refreshed in place, fitted to the terminal's width, with the saved memory as a
sparkline. When the output is not a terminal, one line a refresh for logs: an ISO time, then
saved= (human-readable), pages_sharing= (its change), pages_shared=, full_scans=, run=; for
programs, use --json. Ctrl-C ends it.

Options:
  -i, --interval SECONDS   time between refreshes (default 2)
  --count N                end after N refreshes
  --json                   one JSON object a line, terminal or not: { time (ISO 8601),
                           system (as ksm status --json), delta (the counters' change since
                           the last refresh) }`,
  options: { interval: { type: 'string', short: 'i' }, count: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, { out }) {
    const interval = values.interval === undefined ? 2 : Number(values.interval);
    if (!(interval >= 0.1 && interval <= 86_400)) {
      throw new UsageError(`--interval must be a number of seconds from 0.1 to 86400, not "${values.interval}"`, usage);
    }
    if (values.count !== undefined && !/^[1-9]\d{0,14}$/.test(values.count)) {
      throw new UsageError(`--count must be a whole number of refreshes, 1 or more, not "${values.count}"`, usage);
    }
    await untilCtrlC((signal) => watchView({ intervalSeconds: interval,
      count: values.count === undefined ? undefined : Number(values.count), json: values.json, signal }, out));
    return 0;
  },
});
