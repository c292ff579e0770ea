// Transparent mode: 4 unchanged child processes (bench/unchanged-app.cjs, which knows nothing of
// node-ksm) in three scenarios, each run three ways: nothing, process-wide merge
// (NODE_KSM_MERGE=1) and transparent mode (NODE_KSM_MERGE=buffers). What ksmd saved, against
// the ideal: every copy but one merged, page by page. Then the cost of the mode in a
// Buffer-heavy loop, against plain Node.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capabilities, ksmd, systemStats } from 'node-ksm';
import { runChild, startChild, stopChild } from './children.mjs';
import { median } from './harness.mjs';
import { perFullScan, settle, sleep } from './kernel.mjs';
import { PAGE_SIZE as PAGE } from '../test/helpers/page-size.cjs';

const REGISTER = fileURLToPath(new URL('../dist/register.js', import.meta.url));
const CHILDREN = 4;
const TEMPLATE = 6 * 1024;
const pagesOf = (bytes) => Math.ceil(bytes / PAGE);

const MODES = {
  nothing: {},
  'process-wide': { nodeArgs: ['-r', REGISTER], env: { NODE_KSM_MERGE: '1' } },
  transparent: { nodeArgs: ['-r', REGISTER], env: { NODE_KSM_MERGE: 'buffers' } },
};

/**
 * Starts the children, waits until what merged holds for 3 full scans (or, with nothing
 * mergeable, where ksmd does not scan at all, a short while), then measures pages scanned per
 * full scan over `windowScans` more.
 */
async function measure(mode, args, { windowScans, timeoutMs }) {
  const before = systemStats();
  const children = [];
  try {
    for (let i = 0; i < CHILDREN; i++) children.push(await startChild('unchanged-app.cjs', args, MODES[mode]));
    const started = Date.now();
    if (mode === 'nothing') await sleep(2000);
    else await settle(started + timeoutMs);
    const convergeSeconds = (Date.now() - started) / 1000;
    const { scanned, skipped, end } = await perFullScan(mode === 'nothing' ? 0 : windowScans, started + 2 * timeoutMs);
    return { savedPages: end.pagesSharing - before.pagesSharing, pagesPerScan: scanned, skippedPerScan: skipped, convergeSeconds };
  } finally {
    for (const child of children) await stopChild(child);
    // Until ksmd passes over the exited children's pages, pages_sharing still counts them.
    const stopped = Date.now();
    while (systemStats().pagesSharing > before.pagesSharing && Date.now() - stopped < 10_000) await sleep(50);
  }
}

export async function transparentFigures({ quick }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-bench-'));
  try {
    const fileMib = quick ? 8 : 64;
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, crypto.randomBytes(fileMib * 1024 * 1024));
    const copies = quick ? 200 : 5000;
    // A server's live heap is far larger than its duplicate data (the scan-cost group's 384 MiB).
    const server = quick ? { objectsMib: 16, fileMib: 4, copies: 200 } : { objectsMib: 384, fileMib: 8, copies: 1000 };
    const serverFile = path.join(dir, 'server-data');
    fs.writeFileSync(serverFile, crypto.randomBytes(server.fileMib * 1024 * 1024));
    // Scans counted over several passes: smart_scan (6.7+) skips pages that keep failing to
    // merge more the longer they fail, so one pass is not typical.
    const options = { windowScans: quick ? 1 : 5, timeoutMs: quick ? 10_000 : 60_000 };
    const scenarios = [
      [`${CHILDREN} processes each fs.readFileSync the same ${fileMib} MiB file`, ['file', file],
        (CHILDREN - 1) * pagesOf(fileMib * 1024 * 1024)],
      [`${CHILDREN} processes each hold ${copies} Buffer.from copies of one 6 KiB template`, ['copies', copies],
        (CHILDREN * copies - 1) * pagesOf(TEMPLATE)],
      [`${CHILDREN} server-like processes (${server.objectsMib} MiB of changing objects, a ${server.fileMib} MiB file, ` +
        `${server.copies} template copies)`, ['server', server.objectsMib, serverFile, server.copies],
      (CHILDREN - 1) * pagesOf(server.fileMib * 1024 * 1024) + (CHILDREN * server.copies - 1) * pagesOf(TEMPLATE)],
    ];
    // Process-wide merge needs Linux 6.4; pages scanned per full scan, 6.7. The quick run only
    // shows that the figures can be measured: one scenario, the mode alone.
    const modes = quick ? ['transparent']
      : Object.keys(MODES).filter((mode) => mode !== 'process-wide' || capabilities().processMerge);
    const figures = [];
    for (const [label, args, ideal] of quick ? scenarios.slice(1, 2) : scenarios) {
      const results = {};
      for (const mode of modes) {
        process.stderr.write(`bench: transparent mode: ${label}: ${mode}...\n`);
        results[mode] = await measure(mode, args, options);
      }
      const share = (mode) => results[mode].savedPages / ideal;
      const note = modes.map((mode) => `${mode} ${(share(mode) * 100).toFixed(1)}%`).join(', ') +
        ` (ideal ${ideal} pages)`;
      figures.push({ figure: `transparent mode: saving, ${label}`, ours: share('transparent'), unit: 'of pages merged',
        note: `${note}; ${results.transparent.convergeSeconds.toFixed(1)} s to converge` });
      if (results['process-wide']) {
        figures.push({ figure: `transparent mode: MiB saved vs process-wide, ${label}`,
          ours: (results.transparent.savedPages * PAGE) / 2 ** 20, baseline: (results['process-wide'].savedPages * PAGE) / 2 ** 20,
          unit: 'MiB' });
        if (results.transparent.pagesPerScan !== undefined) {
          figures.push({ figure: `transparent mode: pages ksmd scans per full scan vs process-wide, ${label}`,
            ours: results.transparent.pagesPerScan, baseline: results['process-wide'].pagesPerScan, unit: 'pages/scan',
            ...(args[0] === 'server' ? { goal: 0.5 } : {}),
            note: `smart_scan skipped ${Math.round(results.transparent.skippedPerScan ?? 0)} vs ` +
              `${Math.round(results['process-wide'].skippedPerScan ?? 0)} more a scan` });
        }
      }
    }
    return figures;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const COST = 'cost of building responses (Buffer.from of 6-48 KiB rendered HTML, concat, drop) vs plain Node';
// 2,000 responses a round; the median of 15 rounds, past the optimizer's warm-up (which the
// mode's own functions lengthen: a server's response loop runs for hours).
const costArgs = (quick) => (quick ? [300, 3] : [2000, 15]);

/**
 * Building responses (Buffer.from of a rendered string, concat, drop) with and without the mode:
 * placing every response (placement 'always', what a class being placed costs), and with ksmd
 * stopped (the default placement then steps aside: what is left is the library being loaded).
 * Runs of one variant spread by +-10% on a shared machine: 11 each, interleaved, median.
 */
export async function transparentCostFigures({ quick }) {
  const variants = {
    plain: {},
    placing: { ...MODES.transparent, env: { ...MODES.transparent.env, NODE_KSM_PLACEMENT: 'always' } },
    'not placing': MODES.transparent,
  };
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let run = 0; run < (quick ? 2 : 11); run++) {
    for (const [name, options] of Object.entries(variants)) {
      samples[name].push(runChild('unchanged-app.cjs', ['cost', ...costArgs(quick)], options).nsPerResponse);
    }
  }
  return [
    { figure: `transparent mode, placing them: ${COST}`, ours: median(samples.placing), baseline: median(samples.plain), unit: 'ns/response', goal: 1.05 },
    { figure: `transparent mode, ksmd stopped: ${COST}`, ours: median(samples['not placing']), baseline: median(samples.plain),
      unit: 'ns/response', goal: 1.05, note: capabilities().ksmdRunning ? 'ksmd was running: measures placing' : 'mode stepped aside' },
  ];
}

/**
 * The same responses with ksmd running, in an app holding data that never repeats, of the
 * responses' sizes: once the mode has judged those sizes not merging, it places only probes (1 in
 * 32) and leaves the rest to Node after deciding. What deciding costs, where placing cannot help.
 * ksmd keeps scanning the data the mode placed before it judged, so the baseline is plain Node
 * holding the same data marked mergeable (ksmd scanning it as much). Runs of one variant spread by
 * +-12%: 15 each, interleaved, median.
 */
export async function transparentDecidingCostFigures({ quick }) {
  const variants = { plain: [{}, []], deciding: [MODES.transparent, []], mergeable: [{}, ['mergeable']] };
  const samples = { plain: [], deciding: [], mergeable: [] };
  let notJudged = 0;
  const runs = quick ? 1 : 15;
  // ksmd at its default pace: at the bench's, it would scan the mode's placed data 30 times a
  // second on one of the two cores, a cost of KSM, not of deciding.
  const restore = ksmd.override({ pagesToScan: 100, sleepMillisecs: 20 });
  const judgeSeconds = quick ? 15 : 90;
  try {
    for (let run = 0; run < runs; run++) {
      for (const [name, [options, extra]] of Object.entries(variants)) {
        const result = runChild('unchanged-app.cjs', ['cost-unique', ...costArgs(quick), judgeSeconds, ...extra], options);
        samples[name].push(result.nsPerResponse);
        if (result.judged === false) notJudged++;
      }
    }
  } finally {
    restore();
  }
  // The goal is deciding's: against plain Node paying the same scanning. What the scanning adds
  // is KSM's, as for any data marked mergeable, and ends as the app replaces that data.
  const vsPlain = (name) => (median(samples[name]) / median(samples.plain)).toFixed(2);
  return [{ figure: `transparent mode, ksmd running, unique data judged not merging: ${COST} holding the same data mergeable`,
    ours: median(samples.deciding), baseline: median(samples.mergeable), unit: 'ns/response', goal: 1.05,
    note: `${notJudged === 0 ? 'probes only' : `${notJudged} of ${runs * 2} waits timed out after ${judgeSeconds} s`}; ` +
      `vs plain Node: ${vsPlain('deciding')}x, plain Node holding the data mergeable ${vsPlain('mergeable')}x` }];
}
