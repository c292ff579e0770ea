import { processesWithKsmPages, systemStats, type ProcessEntry, type SystemStats } from '../stats.js';
import { formatBytes, formatCount, table } from './format.js';

const RUN_STATES: Record<number, string> = { 0: 'stopped', 1: 'running', 2: 'stopped, unmerged' };

/** The system figures as a few lines of text. */
export function describeSystem(system: SystemStats): string {
  const state = system.run === undefined ? 'unknown' : RUN_STATES[system.run] ?? `run=${system.run}`;
  const advisor = system.advisorMode && system.advisorMode !== 'none' ? `, advisor ${system.advisorMode}` : '';
  return [
    `ksmd:     ${state} (pages_to_scan ${formatCount(system.pagesToScan)}, sleep ${formatCount(system.sleepMillisecs)} ms` +
      `${advisor}), ${formatCount(system.fullScans)} full scans`,
    `saved:    ${formatBytes(system.savedBytes)} (pages_sharing ${formatCount(system.pagesSharing)} on ` +
      `pages_shared ${formatCount(system.pagesShared)}, ratio ${system.sharingRatio?.toFixed(2) ?? '-'}), ` +
      `general profit ${formatBytes(system.generalProfit)}`,
    `scanning: unshared ${formatCount(system.pagesUnshared)}, volatile ${formatCount(system.pagesVolatile)}` +
      (system.ksmZeroPages ? `, zero pages ${formatCount(system.ksmZeroPages)}` : ''),
    // Stopped, ksmd does not notice pages freed since: its counts are from its last pass.
    ...(system.run === 1 ? [] : ['          (ksmd is not running: these counts are from its last pass)']),
  ].join('\n');
}

function describeProcesses(processes: ProcessEntry[]): string {
  if (processes.length === 0) return 'No process has merged pages.';
  const rows = processes.map((p) => [String(p.pid), p.command.slice(0, 60), formatCount(p.mergingPages),
    formatBytes(p.profitBytes)]);
  return table(['PID', 'COMMAND', 'MERGING PAGES', 'PROFIT'], rows, [0, 2, 3]);
}

export function status(json: boolean): string {
  const system = systemStats();
  const processes = processesWithKsmPages();
  if (json) return JSON.stringify({ system, processes }, null, 2);
  return `${describeSystem(system)}\n\n${describeProcesses(processes)}`;
}
