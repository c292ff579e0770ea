// npm run soak [-- --cycles N]: allocate, fill and drop mergeable buffers of mixed sizes N times
// (default 1,000,000), then check that RSS and the mapping count came back to within 5% of
// where they stood after warming up. Prints one JSON line; exits 1 if either did not.
// npm run soak fixes V8's young generation at 16 MiB: left to grow, its 256 KiB pages alone move
// the mapping count by more than 5% between two quiet moments, which would hide what is ours.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { allocMergeable, mergeableFrom } from 'node-ksm';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '1000000' } } });
const cycles = Number(values.cycles);
if (!globalThis.gc) throw new Error('run with --expose-gc (npm run soak does)');

const SIZES = [64, 1000, 4096, 6144, 16384, 65536, 300_000, 1_200_000];
const maps = () => fs.readFileSync('/proc/self/maps', 'latin1').split('\n').length - 1;
const rss = () => process.memoryUsage().rss;
const template = Buffer.alloc(1_200_000, 'soak ');

/**
 * Collects and yields until finalizers have run, then waits while the mapping count still falls:
 * V8 gives its emptied heap pages back on a timer of its own, a few seconds after a GC.
 */
async function settle() {
  for (let i = 0; i < 8; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  let lowest = maps();
  for (let quiet = 0, waited = 0; quiet < 6 && waited < 20_000; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = maps();
    quiet = now < lowest ? 0 : quiet + 1;
    lowest = Math.min(lowest, now);
  }
}

async function run(count) {
  let live = [];
  for (let i = 0; i < count; i++) {
    const size = SIZES[i % SIZES.length];
    const buffer = i % 3 === 0 ? mergeableFrom(template.subarray(0, size)) : allocMergeable(size, i & 255);
    if (buffer[size - 1] !== (i % 3 === 0 ? template[size - 1] : i & 255)) throw new Error(`wrong contents at cycle ${i}`);
    live.push(buffer);
    // Drop in batches, and yield now and then so finalizers run as in a server.
    if (live.length === 256) {
      live = [];
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

const started = Date.now();
// Warm up long enough for V8 to grow its heap to the workload's size: its reserved pages are mappings too.
await run(Math.max(50_000, Math.min(cycles / 5, 200_000)));
await settle();
const start = { rss: rss(), maps: maps() };
await run(cycles);
await settle();
const end = { rss: rss(), maps: maps() };
const within = (a, b) => Math.abs(b - a) <= 0.05 * a;
const report = { cycles, seconds: (Date.now() - started) / 1000, start, end,
  rssWithin5: within(start.rss, end.rss), mapsWithin5: within(start.maps, end.maps) };
console.log(JSON.stringify(report));
process.exitCode = report.rssWithin5 && report.mapsWithin5 ? 0 : 1;
