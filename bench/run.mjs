// npm run bench [-- --json] [-- --quick]: every figure as a ratio to its baseline, measured
// side by side in this one run. --json prints only the JSON document on stdout.
import { parseArgs } from 'node:util';
import { machine } from './harness.mjs';
import { allocFigures } from './alloc.mjs';
import { inspectFigures } from './inspect.mjs';
import { statsFigures } from './stats.mjs';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, quick: { type: 'boolean' } } });
const options = { quick: Boolean(values.quick) };

const figures = [...await statsFigures(options), ...await allocFigures(options), ...await inspectFigures(options)].map((f) => ({ ...f, ratio: f.ours / f.baseline,
  met: f.goal === undefined ? undefined : f.ours / f.baseline <= f.goal }));

if (values.json) {
  console.log(JSON.stringify({ machine: machine(), quick: options.quick, figures }, null, 2));
} else {
  console.log(`node-ksm benchmarks (${options.quick ? 'quick' : 'full'}): ${machine()}\n`);
  const rows = figures.map((f) => [f.figure, `${f.ours.toFixed(0)} ${f.unit}`, `${f.baseline.toFixed(0)} ${f.unit}`,
    `${f.ratio.toFixed(2)}x`, f.goal === undefined ? '' : `<= ${f.goal}x ${f.met ? 'met' : 'MISSED'}`]);
  const header = ['figure', 'node-ksm', 'baseline', 'ratio', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, widths.map((w) => '-'.repeat(w)), ...rows]) {
    console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  }
}
