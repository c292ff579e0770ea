// npm run demo [-- --hold]: a cluster of workers each loads the same data file with
// readFileMergeable, and ksmd folds their copies into one. Starts ksmd with fast settings when it
// is stopped and this is root, and puts every setting back at the end (also on Ctrl-C). With
// --hold, the workers stay until Ctrl-C, for `ksm status` and `ksm estimate` to look at.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allocMergeable, capabilities, ksmd, processStats, readFileMergeable, systemStats } from 'node-ksm';

const WORKERS = 4;
const DATA_MIB = 64;
const PAGE = capabilities().pageSize ?? 4096; // 4096 only where KSM is unsupported and nothing runs

if (cluster.isPrimary) await primary();
else worker();

function worker() {
  const data = readFileMergeable(process.env.DEMO_DATA);
  process.send({ ready: data.length });
  process.on('message', (message) => {
    if (message === 'stats') process.send({ stats: processStats(), length: data.length });
  });
}

async function primary() {
  const caps = capabilities();
  if (!caps.supported) {
    console.log(`KSM cannot be used here: ${caps.reasons.join('; ')}`);
    return;
  }
  if (!caps.ksmdRunning && !caps.canControlKsmd) {
    console.log('ksmd is not running, so nothing would merge, and starting it needs root. As root:\n' +
      '  echo 1 > /sys/kernel/mm/ksm/run\nthen run `npm run demo` again.');
    return;
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-demo-'));
  const file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, randomBytes(DATA_MIB * 1024 * 1024));
  const pages = (DATA_MIB * 1024 * 1024) / PAGE;
  // Fast settings while it runs for the demo; everything goes back at the end.
  const restore = caps.ksmdRunning ? () => {} : ksmd.override({ run: 1, pagesToScan: 5000, sleepMillisecs: 10 });
  const cleanUp = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    restore();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { cleanUp(); process.exit(130); });
  process.once('SIGTERM', () => { cleanUp(); process.exit(143); });

  try {
    console.log(`${WORKERS} workers each load the same ${DATA_MIB} MiB file with readFileMergeable().`);
    // Pages of processes gone since ksmd last ran leave the counts as it passes: let it pass
    // twice first (over a page of our own, since ksmd does not scan while nothing is mergeable).
    const scanned = allocMergeable(PAGE, 1);
    await fullScans(2);
    const baseline = systemStats().pagesSharing;
    const workers = Array.from({ length: WORKERS }, () => cluster.fork({ DEMO_DATA: file }));
    await Promise.all(workers.map((w) => once(w, (m) => m.ready !== undefined)));

    const possible = (WORKERS - 1) * pages;
    const started = Date.now();
    let fraction = 0;
    while (fraction < 1 && Date.now() - started < 60_000) {
      fraction = Math.max(0, systemStats().pagesSharing - baseline) / possible;
      progress(fraction, (Date.now() - started) / 1000);
      if (fraction >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (process.stdout.isTTY) process.stdout.write('\n');

    const reports = await Promise.all(workers.map((w) => { w.send('stats'); return once(w, (m) => m.stats); }));
    const merged = reports.reduce((sum, r) => sum + (r.stats.mergingPages ?? 0), 0);
    const saved = Math.max(0, systemStats().pagesSharing - baseline) * PAGE;
    const rows = [
      ['data size', `${DATA_MIB} MiB (${pages.toLocaleString('en-US')} pages)`],
      ['copies', `${WORKERS} (one per worker)`],
      ['pages merged', `${merged.toLocaleString('en-US')} of ${(WORKERS * pages).toLocaleString('en-US')}`],
      ['memory saved', `${(saved / 2 ** 20).toFixed(1)} MiB`],
      ['of theoretical max', `${((saved / (possible * PAGE)) * 100).toFixed(1)}% (${WORKERS - 1} of ${WORKERS} copies)`],
    ];
    console.log(rows.map(([k, v]) => `${k.padEnd(20)}${v}`).join('\n'));
    if (process.argv.includes('--hold')) {
      const pids = workers.map((w) => w.process.pid);
      console.log(`\nworkers ${pids.join(' ')} keep running until Ctrl-C; look at them with\n` +
        `  npx --no ksm estimate${pids.map((pid) => ` --pid ${pid}`).join('')}`);
      await new Promise(() => {}); // the SIGINT and SIGTERM handlers clean up and exit
    }
    scanned.fill(0);
  } finally {
    cleanUp();
  }
}

async function fullScans(count, timeoutMs = 10_000) {
  const target = systemStats().fullScans + count;
  const deadline = Date.now() + timeoutMs;
  while (systemStats().fullScans < target && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

function once(worker, match) {
  return new Promise((resolve) => {
    const listener = (message) => {
      if (!match(message)) return;
      worker.off('message', listener);
      resolve(message);
    };
    worker.on('message', listener);
  });
}

function progress(fraction, seconds) {
  const width = 30;
  const filled = Math.round(Math.min(fraction, 1) * width);
  const line = `merging [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}% ` +
    `after ${seconds.toFixed(1)} s`;
  process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
}
