// `ksm status`: the system's KSM figures and every process with merged pages, as text or JSON.
import { processesWithKsmPages, systemStats, type ProcessEntry, type SystemStats,
  type UnreadableProcess } from '../stats.js';
import { parsePids, withOptions } from './command.js';
import { escapeForTerminal, fitLines, formatBytes, formatCount, jsonForTerminal, table } from './format.js';

const usage = 'ksm status [--json] [--pid PID]...';

const RUN_STATES: Record<number, string> = { 0: 'stopped', 1: 'running', 2: 'stopped, unmerged' };

/** The system figures as a few lines of text, each within 80 columns for usual values. */
export function describeSystem(system: SystemStats): string {
  const state = system.run === undefined ? 'unknown' : RUN_STATES[system.run] ?? `run=${system.run}`;
  const advisor = system.advisorMode && system.advisorMode !== 'none' ? `, advisor ${system.advisorMode}` : '';
  return [
    `ksmd:     ${state} (pages_to_scan ${formatCount(system.pagesToScan)}, ` +
      `sleep ${formatCount(system.sleepMillisecs)} ms${advisor}), ${formatCount(system.fullScans)} full scans`,
    `saved:    ${formatBytes(system.savedBytes)}, general profit ${formatBytes(system.generalProfit)}`,
    `sharing:  pages_sharing ${formatCount(system.pagesSharing)} on pages_shared ${formatCount(system.pagesShared)}, ` +
      `ratio ${system.sharingRatio?.toFixed(2) ?? '-'}`,
    `scanning: unshared ${formatCount(system.pagesUnshared)}, volatile ${formatCount(system.pagesVolatile)}` +
      (system.ksmZeroPages ? `, zero pages ${formatCount(system.ksmZeroPages)}` : ''),
    // Stopped, ksmd does not notice pages freed since: its counts are from its last pass.
    ...(system.run === 1 ? [] : ['          (ksmd is not running: these counts are from its last pass)']),
  ].join('\n');
}

/** The table, COMMAND last (as ps): the only column of any user's text, escaped before any cut. */
function describeProcesses(processes: ProcessEntry[], columns: number | undefined): string {
  if (processes.length === 0) return 'No process has merged pages.';
  const rows = processes.map((p) => [String(p.pid), formatCount(p.mergingPages), formatBytes(p.profitBytes),
    formatBytes(p.rssBytes), formatBytes(p.pssBytes), escapeForTerminal(p.command)]);
  const text = table(['PID', 'MERGING PAGES', 'PROFIT', 'RSS', 'PSS', 'COMMAND'], rows, [0, 1, 2, 3, 4]);
  return fitLines(text, columns);
}

/** The note on processes left out, as `ps` users expect one: how many, and what would show them. */
export function describeUnreadable(unreadable: UnreadableProcess[], root: boolean): string | undefined {
  if (unreadable.length === 0) return undefined;
  const count = `${unreadable.length} ${unreadable.length === 1 ? 'process' : 'processes'} could not be read`;
  if (!root && unreadable.every(({ code }) => code === 'EACCES' || code === 'EPERM')) {
    return `${count} (not yours): run as root to see ${unreadable.length === 1 ? 'it' : 'them'}`;
  }
  return `${count} (${[...new Set(unreadable.map(({ code }) => code))].join(', ')})`;
}

export interface StatusOptions {
  /** { system, processes, unreadable } as JSON instead of text. */
  json?: boolean;
  /** Only these processes, shown even with no merged pages. */
  pids?: number[];
  /** The terminal's width, which table lines are cut to; undefined (not a terminal) keeps them whole. */
  columns?: number;
}

export function status({ json = false, pids, columns }: StatusOptions = {}): string {
  const system = systemStats();
  const { processes, unreadable } = processesWithKsmPages(pids ? { pids } : {});
  if (json) return jsonForTerminal({ system, processes, unreadable }, 2);
  const note = describeUnreadable(unreadable, process.getuid?.() === 0);
  return `${describeSystem(system)}\n\n${describeProcesses(processes, columns)}${note ? `\n${note}` : ''}`;
}

export const statusCommand = withOptions({
  name: 'status',
  summary: 'system-wide KSM figures and every process with merged pages',
  usage,
  help: `System-wide KSM figures (pages shared and sharing, memory saved, sharing ratio, full scans,
ksmd state and settings) and a table of every process with merged pages, largest first, with
its RSS and PSS (from /proc/PID/smaps_rollup; merged pages count in every sharer's RSS, but are
divided among the sharers in PSS, where the saving shows).

Command lines are any user's text: control characters and bidi overrides in them are printed
escaped (\\x1b, \\u202e). On a terminal, lines are cut to its width; piped, they stay whole.
Without root, other users' processes cannot be read: a note says how many were left out.

Options:
  --json            { system, processes, unreadable } with the field names of node-ksm's API;
                    processes[] carry rssBytes and pssBytes (absent where unreadable), and
                    unreadable lists the processes left out as [{ pid, code }] (code: EACCES,
                    not yours), by pid. Kernel threads, which cannot merge, and processes that
                    exit while being read are in neither.
  -p, --pid PID     only this process, shown even with no merged pages; repeat for more. A PID
                    that does not exist or cannot be read is an error (exit 1).`,
  options: { json: { type: 'boolean' }, pid: { type: 'string', short: 'p', multiple: true } },
  run(values, { out }) {
    const pids = values.pid && parsePids(values.pid, usage);
    // On a terminal, lines are cut to its width; piped, they stay whole (as ps does).
    out.write(`${status({ json: values.json, pids, columns: out.isTTY ? out.columns : undefined })}\n`);
    return 0;
  },
});
