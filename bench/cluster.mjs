// Transparent mode in a cluster app that knows nothing of node-ksm (bench/cluster-app.cjs):
// the workers' total PSS once ksmd has merged what it can and the idle workers' garbage is
// collected, plain Node against the mode, and whether every response under load is byte for byte
// what plain Node sends.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startChild, stopChild } from './children.mjs';
import { settle, sleep } from './kernel.mjs';

const MODE = { nodeArgs: ['-r', 'node-ksm/register'], env: { NODE_KSM_MERGE: 'buffers' } };
// The mode as it ships (adaptive), and placing everything: what its policy keeps of the win.
const MODES = { plain: {}, transparent: MODE, always: { ...MODE, env: { ...MODE.env, NODE_KSM_PLACEMENT: 'always' } } };

const STATIC_FILE_BYTES = 512 * 1024;

const get = (port, url) => new Promise((resolve, reject) => {
  http.get({ port, path: url, agent: false }, (response) => {
    const hash = crypto.createHash('sha256');
    response.on('data', (chunk) => hash.update(chunk));
    response.on('end', () => resolve(hash.digest('hex')));
  }).on('error', reject);
});

/** Every URL of the load, 8 at a time: the sha-256 of each response. */
async function load(port, urls) {
  const hashes = new Array(urls.length);
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < urls.length) {
      const i = next++;
      hashes[i] = await get(port, urls[i]);
    }
  }));
  return hashes;
}

const pss = (pid) => Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'))[1]) * 1024;

const unsettled = (results) => Object.entries(results).filter(([, { settled }]) => !settled)
  .map(([mode]) => `; ksmd had not settled (${mode})`).join('');

export async function clusterFigures({ quick }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-cluster-'));
  const staticFile = path.join(dir, 'static.bin');
  // A 512 KiB script bundle: the audit's app gave no size, and this one's plain PSS (352 MiB)
  // is what the audit measured for its own. The figure depends on it: what plain Node keeps of
  // the per-request garbage grows with it (docs/performance.md gives 64 KiB's too).
  fs.writeFileSync(staticFile, crypto.randomBytes(STATIC_FILE_BYTES));
  const pages = quick ? 200 : 1500;
  const urls = Array.from({ length: quick ? 500 : 6000 }, (_, i) => ['/page/', '/static/', '/api/'][i % 3] + ((i * 7) % (pages * 2)));
  // Every mode is measured the same time after its load. An idle worker's garbage waits for V8's
  // memory reducer (100-120 s after the load on Node 24 and 26); measured sooner, whether it had
  // run in one mode and not yet in the other moved the ratio between 0.37x and 0.45x.
  const measureAfter = quick ? 20_000 : 150_000;
  const results = {};
  try {
    for (const [mode, options] of Object.entries(MODES)) {
      process.stderr.write(`bench: cluster app: ${mode}...\n`);
      const port = 20000 + Math.floor(Math.random() * 20000);
      const primary = await startChild('cluster-app.cjs', [port, pages, staticFile], options);
      const workers = primary.readyLine.split(' ').slice(1).map(Number);
      try {
        const hashes = await load(port, urls);
        const measureAt = Date.now() + measureAfter;
        // Plain, nothing is mergeable, and ksmd does not even count scans.
        const settled = mode === 'plain' || await settle(measureAt);
        await sleep(measureAt - Date.now());
        results[mode] = { hashes, settled, pss: workers.reduce((sum, pid) => sum + pss(pid), 0) };
      } finally {
        await stopChild(primary);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const different = results.plain.hashes.filter((hash, i) => hash !== results.transparent.hashes[i]).length;
  // The most any merging of the cache could save: all but one worker's copy of each page (the
  // app's pages are 6 KiB times 1 to 8). What is left is each worker's own heap and Node itself.
  let cached = 0;
  for (let id = 0; id < pages; id++) cached += 6 * 1024 * (1 + (id % 8));
  const ideal = results.plain.pss - 3 * cached;
  return [{ figure: `transparent mode: PSS of a 4-worker cluster app (${pages} cached pages of 6-48 KiB each, a ` +
    `${STATIC_FILE_BYTES / 1024} KiB static file per request, JSON bodies) after merging, vs plain Node`, ours: results.transparent.pss / 2 ** 20, baseline: results.plain.pss / 2 ** 20,
  unit: 'MiB', goal: 0.4, note: `plain less 3 of 4 copies of the cache: ${(ideal / 2 ** 20).toFixed(0)} MiB; ` +
    `${urls.length} responses under load, ${different} differ from plain Node's; measured ${measureAfter / 1000} s ` +
    `after the load${unsettled(results)}` },
  // The policy must keep what placing everything wins. Two runs that place the same Buffers
  // differ by up to 10 MiB of Node's own memory (malloc's arenas, V8's heap): 1.1x, not less.
  { figure: 'transparent mode: PSS of the cluster app after merging, vs placing every Buffer (placement \'always\')',
    ours: results.transparent.pss / 2 ** 20, baseline: results.always.pss / 2 ** 20, unit: 'MiB', goal: 1.1 }];
}
