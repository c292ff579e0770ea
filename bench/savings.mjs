// Savings: N copies of the same data made three ways, with ksmd running fast. How much of
// the possible merging happens, and how soon.
import { systemStats } from 'node-ksm';
import { childMergingPages, sleep } from './kernel.mjs';
import { startChild, stopChild } from './children.mjs';
import { PAGE_SIZE as PAGE } from '../test/helpers/page-size.cjs';

const BYTES = 96 * 1024; // below malloc's mmap threshold: heap copies sit at arbitrary offsets
const MODES = { plain: 'Buffer.from', marked: 'Buffer.from + markMergeable', mergeableFrom: 'mergeableFrom' };

/** Polls the child until its merged count holds for 3 full scans; returns the count and t99. */
async function converge(pid, timeoutMs) {
  const samples = [];
  const started = Date.now();
  let stableSince = systemStats().fullScans;
  let last = -1;
  while (Date.now() - started < timeoutMs) {
    const merged = childMergingPages(pid);
    samples.push([Date.now() - started, merged]);
    const scans = systemStats().fullScans;
    if (merged !== last) {
      last = merged;
      stableSince = scans;
    } else if (scans - stableSince >= 3) {
      break;
    }
    await sleep(25);
  }
  const final = samples.at(-1)[1];
  const t99 = samples.find(([, merged]) => merged >= 0.99 * final)?.[0] ?? NaN;
  return { final, seconds: final === 0 ? 0 : t99 / 1000 };
}

export async function savingsFigures({ quick }) {
  const figures = [];
  for (const copies of quick ? [2, 8] : [2, 8, 64]) {
    for (const [mode, label] of Object.entries(MODES)) {
      const child = await startChild('copies-child.cjs', [mode, copies, BYTES]);
      try {
        const { final, seconds } = await converge(child.pid, quick ? 5_000 : 20_000);
        const possible = (copies * BYTES) / PAGE;
        figures.push({ figure: `savings: ${copies} copies of 96 KiB, ${label}`, ours: final / possible, unit: 'of pages merged',
          secondsTo99: seconds, pagesMerged: final, pagesPossible: possible });
      } finally {
        await stopChild(child);
      }
    }
  }
  return figures;
}
