// Scan cost, the reason targeted marking exists: a server-like process with live, changing
// objects and duplicate data, merged process-wide (what systemd's MemoryKSM=yes does) or only
// where the duplicates are.
import { systemStats } from 'node-ksm';
import { childMergingPages, ksmdCpuSeconds, perFullScan, sleep } from './kernel.mjs';
import { startChild, stopChild } from './children.mjs';
import { PAGE_SIZE as PAGE } from '../test/helpers/page-size.cjs';

async function measure(mode, { objectsMib, dataMib, windowScans }) {
  const child = await startChild('server-child.cjs', [mode, objectsMib, dataMib]);
  try {
    const dataPages = (2 * dataMib * 1024 * 1024) / PAGE;
    const start = { time: Date.now(), cpu: ksmdCpuSeconds(), sharing: systemStats().pagesSharing };
    // Converged: the duplicate data has merged (both copies' pages).
    while (childMergingPages(child.pid) < 0.99 * dataPages && Date.now() - start.time < 120_000) await sleep(50);
    const convergeSeconds = (Date.now() - start.time) / 1000;
    // Steady state: what each full pass over the process's mergeable memory costs.
    const { scanned, skipped, end } = await perFullScan(windowScans, start.time + 180_000);
    return {
      pagesPerScan: scanned,
      pagesSkippedPerScan: skipped ?? 0,
      ksmdCpuSeconds: ksmdCpuSeconds() - start.cpu,
      convergeSeconds,
      savedMiB: ((end.pagesSharing - start.sharing) * PAGE) / 2 ** 20,
    };
  } finally {
    await stopChild(child);
  }
}

export async function scanCostFigures({ quick }) {
  const options = quick ? { objectsMib: 32, dataMib: 8, windowScans: 2 } : { objectsMib: 384, dataMib: 64, windowScans: 4 };
  const whole = await measure('process', options);
  const targeted = await measure('targeted', options);
  const label = `${options.objectsMib} MiB of live objects + 2 x ${options.dataMib} MiB duplicate data`;
  // ksmd counts the pages it scans only from Linux 6.7 (pages_scanned, pages_skipped).
  const counted = systemStats().pagesScanned !== undefined;
  if (!counted) process.stderr.write('bench: pages scanned per full scan not measured: this kernel has no pages_scanned (Linux 6.7+)\n');
  return [
    ...(counted ? [
      { figure: `scan cost: pages scanned per full scan, targeted vs process-wide (${label})`, ours: targeted.pagesPerScan,
        baseline: whole.pagesPerScan, unit: 'pages/scan', goal: 1 / 3 },
      { figure: 'scan cost: pages smart_scan skipped per full scan, targeted vs process-wide', ours: targeted.pagesSkippedPerScan,
        baseline: whole.pagesSkippedPerScan, unit: 'pages/scan' },
    ] : []),
    { figure: 'scan cost: ksmd CPU seconds to converge and scan, targeted vs process-wide', ours: targeted.ksmdCpuSeconds,
      baseline: whole.ksmdCpuSeconds, unit: 's' },
    { figure: 'scan cost: seconds to merge the duplicate data, targeted vs process-wide', ours: targeted.convergeSeconds,
      baseline: whole.convergeSeconds, unit: 's' },
    { figure: 'scan cost: MiB saved, targeted vs process-wide', ours: targeted.savedMiB, baseline: whole.savedMiB, unit: 'MiB' },
  ];
}
