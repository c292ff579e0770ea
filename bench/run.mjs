// npm run bench [-- --json] [-- --quick] [-- --only NAME]: every figure measured side by side in
// this one run, as a ratio to its baseline where it has one. --json prints only the JSON document
// on stdout (progress goes to stderr). --quick is a short smoke run, for CI. --only (repeatable)
// runs the groups whose name starts with NAME ('transparent mode' runs its cost and saving).
import { parseArgs } from 'node:util';
import { capabilities, ksmd, processStats } from 'node-ksm';
import { allocFigures } from './alloc.mjs';
import { estimateFigures } from './estimate.mjs';
import { machine } from './harness.mjs';
import { inspectFigures } from './inspect.mjs';
import { mappingFigures } from './mappings.mjs';
import { overheadFigures } from './overhead.mjs';
import { savingsFigures } from './savings.mjs';
import { scanCostFigures } from './scan-cost.mjs';
import { statsFigures } from './stats.mjs';
import { transparentCostFigures, transparentDecidingCostFigures, transparentFigures } from './transparent.mjs';
import { uniqueDataFigures } from './unique-data.mjs';
import { clusterFigures } from './cluster.mjs';

const { values } = parseArgs({
  options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string', multiple: true } },
});
const chosen = ([name]) => values.only === undefined || values.only.some((prefix) => name.startsWith(prefix));
const options = { quick: Boolean(values.quick) };
const log = (text) => process.stderr.write(`${text}\n`);

const suites = [
  ['call overhead', overheadFigures], ['stats cost', statsFigures], ['allocation', allocFigures],
  ['inspect', inspectFigures], ['mapping count', mappingFigures], ['transparent mode cost', transparentCostFigures],
  ['estimate', estimateFigures],
];
// Savings counts each child's merged pages (Linux 5.19+); scan cost compares targeted marking
// with process-wide merge (6.4+); transparent mode compares with it where it can, and counts
// pages_sharing, which every kernel has.
const ksmdSuites = [...(processStats().mergingPages !== undefined ? [['savings', savingsFigures]] : []),
  ...(capabilities().processMerge ? [['scan cost', scanCostFigures]] : []), ['transparent mode', transparentFigures],
  ['transparent mode cost, ksmd running', transparentDecidingCostFigures],
  ['transparent mode, unique data', uniqueDataFigures], ['transparent mode, cluster app', clusterFigures]];

const started = Date.now();
const figures = [];
for (const [name, run] of suites.filter(chosen)) {
  log(`bench: ${name}...`);
  figures.push(...await run(options));
}
if (capabilities().canControlKsmd) {
  // The suites above leave mergeable memory behind until collected, and ksmd would scan it too.
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Fast scanning for the suites that wait on ksmd; every value goes back, Ctrl-C included.
  // The advisor (6.8+) would retune pages_to_scan: off where this kernel has it.
  const advisor = ksmd.settings().advisorMode === undefined ? {} : { advisorMode: 'none' };
  const restore = ksmd.override({ run: 1, pagesToScan: 5000, sleepMillisecs: 10, ...advisor });
  // Ctrl-C, or a runner's timeout (SIGTERM), must not leave ksmd scanning fast.
  const interrupted = (signal) => { restore(); process.exit(signal === 'SIGTERM' ? 143 : 130); };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (const [name, run] of ksmdSuites.filter(chosen)) {
      log(`bench: ${name}...`);
      figures.push(...await run(options));
    }
  } finally {
    restore();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
} else {
  log('bench: savings and scan cost skipped: they run ksmd, which needs root');
}

for (const figure of figures) {
  if (figure.baseline !== undefined) figure.ratio = figure.ours / figure.baseline;
  if (figure.goal !== undefined) figure.met = figure.ratio <= figure.goal;
}
const header = `node-ksm bench (${options.quick ? 'quick' : 'full'}, ${((Date.now() - started) / 1000).toFixed(0)} s): ${machine()}`;

if (values.json) {
  console.log(JSON.stringify({ machine: machine(), quick: options.quick, seconds: (Date.now() - started) / 1000, figures }, null, 2));
} else {
  const number = (value, unit) => (unit === 'of pages merged' ? `${(value * 100).toFixed(1)}%`
    : `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ${unit}`);
  const rows = figures.map((f) => [
    f.figure,
    number(f.ours, f.unit),
    f.baseline === undefined ? '' : number(f.baseline, f.unit),
    f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}x`,
    f.goal === undefined ? '' : `<= ${+f.goal.toFixed(2)}x ${f.met ? 'met' : 'MISSED'}`,
    f.secondsTo99 !== undefined ? `99% in ${f.secondsTo99.toFixed(2)} s (${f.pagesMerged}/${f.pagesPossible} pages)` : f.note ?? '',
  ]);
  const head = ['figure', 'node-ksm', 'baseline', 'ratio', 'goal', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log(`${header}\n`);
  for (const row of [head, widths.map((w) => '-'.repeat(w)), ...rows]) {
    console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  }
}
