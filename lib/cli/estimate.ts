// `ksm estimate`: what KSM would save in the chosen processes, and where their duplicates live.
import { estimate, type Estimate, type EstimatedProcess, type PredictedSaving } from '../estimate.js';
import type { MappingKind } from '../types.js';
import { parsePids, untilCtrlC, withOptions } from './command.js';
import { escapeForTerminal, fitLines, formatBytes, formatCount, jsonForTerminal, table } from './format.js';

const usage = 'ksm estimate [--pid PID]... [--self] [--node] [--json]';

const KIND_NAMES: Record<MappingKind, string> = {
  mergeable: 'mergeable', heap: '[heap]', stack: 'stack', anonymous: 'anon', file: 'file-copied',
};

/** The kinds of mapping holding a process's duplicates, most first: "anon 16,443, [heap] 2,991". */
function duplicatesByKind(entry: EstimatedProcess): string {
  const kinds = (Object.keys(entry.byKind) as MappingKind[])
    .filter((kind) => entry.byKind[kind].duplicates > 0)
    .sort((a, b) => entry.byKind[b].duplicates - entry.byKind[a].duplicates);
  return kinds.map((kind) => `${KIND_NAMES[kind]} ${formatCount(entry.byKind[kind].duplicates)}`).join(', ') || '-';
}

function savingLine(label: string, saving: PredictedSaving): string[] {
  const zero = saving.zeroPages ? `, ksm_zero_pages ${formatCount(saving.zeroPages)}` : '';
  return [label, formatBytes(saving.bytes), `pages_sharing ${formatCount(saving.pagesSharing)}${zero}`];
}

function stateNote(entry: EstimatedProcess, root: boolean): string | undefined {
  if (entry.state === 'gone') return `${entry.pid}: exited before or during the scan`;
  if (entry.state !== 'unreadable') return undefined;
  const why = (entry.code === 'EACCES' || entry.code === 'EPERM') && !root
    ? ' (another user\'s, or ptrace restricted by Yama\'s ptrace_scope: run as root to read it)' : '';
  return `${entry.pid}: not readable, ${entry.code} from ${entry.syscall}${why}`;
}

/** The estimate as text: the set, the three predictions, a table by process, and notes. */
export function describeEstimate(result: Estimate, { columns, root }: { columns?: number; root: boolean }): string {
  const { total, saving } = result;
  const scanned = result.processes.filter((p) => p.state === 'scanned');
  const merged = total.merged === undefined ? 'unknown without root (frame numbers are hidden)'
    : formatCount(total.merged);
  const lines = [
    `Read ${scanned.length} of ${result.processes.length} processes: ` +
      `${formatBytes(total.pages * result.pageSize)} of private anonymous memory, ${formatCount(total.pages)} ` +
      `pages (${formatCount(total.zeroPages)} zero-filled).`,
    `Duplicates: ${formatCount(total.duplicates)} pages have a twin (${formatCount(total.twinsWithin)} in their own ` +
      `process, ${formatCount(total.twinsAcross)} in another). Merged now: ${merged}.`,
    '',
    'ksmd would save:',
    table(['', 'SAVED', ''], [
      savingLine('as marked now (mergeable mappings)', saving.asMarked),
      savingLine('process-wide merge in each process', saving.processWide),
      savingLine('only what the apps marked', saving.markedByApp),
    ], [1]).split('\n').slice(1).map((line) => `  ${line}`).join('\n'),
    '',
  ];
  const rows = result.processes.map((p) => p.state === 'scanned'
    ? [String(p.pid), formatCount(p.pages), formatCount(p.duplicates),
      p.merged === undefined ? '-' : formatCount(p.merged),
      p.processWideMerge ? 'yes' : p.processWideMerge === false ? 'no' : '?', duplicatesByKind(p),
      escapeForTerminal(p.command)]
    : [String(p.pid), '-', '-', '-', '-', p.state, escapeForTerminal(p.command)]);
  const text = table(['PID', 'PAGES', 'DUPLICATES', 'MERGED', 'WIDE', 'DUPLICATES IN', 'COMMAND'], rows, [0, 1, 2, 3]);
  lines.push(fitLines(text, columns));
  const notes = result.processes.map((p) => stateNote(p, root)).filter((note) => note !== undefined);
  if (result.markedByAppUnknown.length) {
    notes.push(`process-wide merge is or may be on in ${result.markedByAppUnknown.join(', ')}: what those apps ` +
      'marked themselves cannot be told apart, so "only what the apps marked" leaves them out');
  }
  return [...lines, ...notes].join('\n');
}

export interface EstimateViewOptions {
  pids?: number[];
  self?: boolean;
  nodeProcesses?: boolean;
  json?: boolean;
  signal?: AbortSignal;
}

/** Runs the estimate, with a progress line on stderr when it is a terminal; returns the text. */
export async function estimateView(options: EstimateViewOptions, out: NodeJS.WriteStream,
  err: NodeJS.WriteStream): Promise<string> {
  const progress = err.isTTY
    ? ({ index, processes, pid, pagesScanned }:
      { index: number; processes: number; pid: number; pagesScanned: number }) => {
      err.write(`\r\x1b[Kreading ${index + 1}/${processes} (pid ${pid}): ${formatCount(pagesScanned)} pages`);
    }
    : undefined;
  try {
    const result = await estimate({ pids: options.pids, self: options.self, nodeProcesses: options.nodeProcesses,
      signal: options.signal, onProgress: progress });
    if (options.json) return jsonForTerminal(result, 2);
    return describeEstimate(result, { columns: out.isTTY ? out.columns : undefined, root: process.getuid?.() === 0 });
  } finally {
    if (progress) err.write('\r\x1b[K');
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending: EPERM means it does). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const estimateCommand = withOptions({
  name: 'estimate',
  summary: 'how much KSM would save in running processes, before turning it on',
  usage,
  help: `Reads the resident private anonymous pages of the chosen processes (never stopping or changing
them; only a digest of each page is kept) and predicts what ksmd would save, as pages_sharing
would show it (max_page_sharing and use_zero_pages as set now), three ways: with the mappings
marked mergeable now, with process-wide merge in every process (ksm run, enableProcessMerge),
and with only what the apps marked themselves (node-ksm's allocator, markMergeable). Per
process: pages read, pages with an identical twin in the set (DUPLICATES), pages merged now
(root only), whether process-wide merge is on (WIDE), and the kinds of mapping holding the
duplicates: mergeable (marked now), [heap] (small allocations), anon (large allocations, V8's
heap), stack, file-copied (written pages of private file mappings). Duplicates outside
mergeable mappings are what process-wide merge, or moving the data into mergeableFrom /
readFileMergeable, would add. Other users' processes need root; a process that exits during the
scan is reported and the others are still counted. On a terminal, progress shows on stderr;
Ctrl-C stops the scan (exit 130).

Options:
  -p, --pid PID   this process; repeat for more (one that does not exist: exit 1)
  --self          ksm's own process too
  --node          every Node.js process (command node or nodejs): the default when neither
                  --pid nor --self is given
  --json          the result of node-ksm's estimate() as JSON`,
  options: { json: { type: 'boolean' }, pid: { type: 'string', short: 'p', multiple: true }, self: { type: 'boolean' },
    node: { type: 'boolean' } },
  async run(values, { out, err }) {
    const pids = values.pid && parsePids(values.pid, usage);
    const missing = pids?.find((pid) => !processExists(pid));
    if (missing !== undefined) return err.write(`ksm: ESRCH: no process with pid ${missing}\n`), 1;
    const text = await untilCtrlC((signal) => estimateView({ pids, self: values.self, nodeProcesses: values.node,
      json: values.json, signal }, out, err));
    out.write(`${text}\n`);
    return 0;
  },
});
