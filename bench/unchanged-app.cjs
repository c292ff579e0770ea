// node [-r node-ksm/register] unchanged-app.cjs SCENARIO ...: an app that knows nothing of
// node-ksm, for the transparent mode group. Prints "ready" and holds its Buffers until stdin
// closes.
//   file PATH                     reads PATH with fs.readFileSync
//   copies COUNT                  COUNT Buffer.from copies of one rendered 6 KiB template
//   server OBJECTS_MIB PATH COUNT a live JS heap of OBJECTS_MIB that keeps changing, plus
//                                 both of the above
//   cost ITERATIONS ROUNDS        prints the median ns of building a response (Buffer.from of
//                                 a rendered string, concat with a header, drop), per round
//   cost-unique ITERATIONS ROUNDS SECONDS [mergeable]  the same, holding unique data of the
//                                 responses' sizes: in transparent mode, once the mode has judged
//                                 those sizes not merging (ksmd running; waits up to SECONDS), so
//                                 that it places only probes; with `mergeable` (plain Node), the
//                                 data marked mergeable, once ksmd has scanned it 3 times, as the
//                                 mode's placed data is: what ksmd scanning it costs, without the mode
const crypto = require('node:crypto');
const fs = require('node:fs');
const { liveHeap } = require('./live-heap.cjs');

const [scenario, ...args] = process.argv.slice(2);

/** The same 6 KiB page in every process: a rendered template, as a server sends it. */
function renderTemplate(id = 0) {
  const rows = Array.from({ length: 96 }, (_, i) => `<tr><td>${i}</td><td>item-${(i * 7919) % 1000}</td><td>${id}</td></tr>`);
  return `<table>${rows.join('')}</table>`.padEnd(6 * 1024, ' ').slice(0, 6 * 1024);
}

function copies(count) {
  const template = renderTemplate();
  return Array.from({ length: count }, () => Buffer.from(template));
}

function cost(iterations, rounds) {
  const header = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\r\n');
  const times = [];
  let sink = 0;
  for (let round = 0; round < rounds + 1; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      // Bodies of 6 KiB to 48 KiB: one to eight rendered tables.
      const body = Buffer.from(renderTemplate(i).repeat(1 + (i % 8)));
      const response = Buffer.concat([header, body]);
      sink ^= response[i % response.length];
    }
    if (round > 0) times.push(Number(process.hrtime.bigint() - start) / iterations); // round 0 warms up
  }
  times.sort((a, b) => a - b);
  return { nsPerResponse: times[times.length >> 1], sink };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `done()` came true, checked every 250 ms for up to `seconds`. */
async function until(seconds, done) {
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(250)) if (done()) return true;
  return false;
}

/** Unique Buffers of each size a response takes (2 to 13 pages); in the mode, waits until it has
 *  judged them not merging (said in the result), for up to `seconds`; `mergeable`, see above. */
async function uniqueJudged(seconds, mergeable) {
  const { PAGE_SIZE } = require('../test/helpers/page-size.cjs');
  const pages = [2, 3, 5, 9, 13];
  const make = mergeable ? require('node-ksm').allocMergeable : Buffer.allocUnsafe;
  const data = pages.flatMap((n) => Array.from({ length: 400 }, () => crypto.randomFillSync(make(n * PAGE_SIZE - 100))));
  if (mergeable) {
    const { systemStats } = require('node-ksm');
    const start = systemStats().fullScans;
    return { data, judged: await until(seconds, () => systemStats().fullScans - start >= 3) };
  }
  if (process.env.NODE_KSM_MERGE !== 'buffers') return { data, judged: undefined };
  const { transparentModeStats } = require('node-ksm');
  const classes = () => transparentModeStats().classes.filter((c) => pages.some((n) => n >= c.minPages && n <= c.maxPages));
  return { data, judged: await until(seconds, () => classes().every((c) => c.reason === 'notMerging')) };
}

let held;
if (scenario === 'file') held = fs.readFileSync(args[0]);
else if (scenario === 'copies') held = copies(Number(args[0]));
else if (scenario === 'server') held = [liveHeap(Number(args[0])), fs.readFileSync(args[1]), copies(Number(args[2]))];
else if (scenario === 'cost') {
  process.stdout.write(`${JSON.stringify(cost(Number(args[0]), Number(args[1])))}\n`);
  process.exit(0);
} else if (scenario === 'cost-unique') {
  uniqueJudged(Number(args[2]), args[3] === 'mergeable').then(({ data, judged }) => {
    process.stdout.write(`${JSON.stringify({ ...cost(Number(args[0]), Number(args[1])), judged, held: data.length })}\n`);
    process.exit(0);
  });
} else throw new Error(`unknown scenario ${scenario}`);

if (held !== undefined) {
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}
