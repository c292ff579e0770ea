// The smallest proof that node-ksm works: two identical 32 MiB buffers, marked mergeable,
// and the kernel's own count of how many of their pages merged.
// Run with `npm run demo`. Starting ksmd needs root; every setting it changes is restored.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { markMergeable } from 'node-ksm';

const PAGE = 4096;
const SIZE = 32 * 1024 * 1024;
const KSM = '/sys/kernel/mm/ksm';

const readKsm = (name) => fs.readFileSync(`${KSM}/${name}`, 'utf8').trim();
const writeKsm = (name, value) => fs.writeFileSync(`${KSM}/${name}`, String(value));
const mergingPages = () => Number(/ksm_merging_pages (\d+)/.exec(fs.readFileSync('/proc/self/ksm_stat', 'utf8'))[1]);

// Each copy starts on a page boundary inside its buffer so that equal bytes fill equal pages.
const content = randomBytes(SIZE);
const buffers = [Buffer.alloc(SIZE + PAGE), Buffer.alloc(SIZE + PAGE)];
const marked = buffers.map((buffer) => {
  const { start } = markMergeable(buffer);
  content.copy(buffer, start);
  return markMergeable(buffer, { offset: start, length: SIZE });
});
const pages = marked.reduce((sum, range) => sum + range.pages, 0);
console.log(`Marked ${pages} pages (2 x ${SIZE / 2 ** 20} MiB of identical data) mergeable.`);

if (readKsm('run') !== '1' && process.getuid?.() !== 0) {
  console.log('ksmd is not running, and starting it needs root: sudo sh -c "echo 1 > /sys/kernel/mm/ksm/run"');
  process.exit(0);
}

const saved = { run: readKsm('run'), pages_to_scan: readKsm('pages_to_scan'), sleep_millisecs: readKsm('sleep_millisecs') };
const restore = () => { for (const name of ['run', 'pages_to_scan', 'sleep_millisecs']) writeKsm(name, saved[name]); };
process.once('SIGINT', () => { restore(); process.exit(130); });
try {
  if (saved.run !== '1') {
    writeKsm('pages_to_scan', 5000);
    writeKsm('sleep_millisecs', 10);
    writeKsm('run', 1);
  }
  const deadline = Date.now() + 30_000;
  while (mergingPages() < pages - 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
} finally {
  restore();
}
const merged = mergingPages();
console.log(`Merged ${merged} of ${pages} pages: ${(merged / 2 * PAGE / 2 ** 20).toFixed(1)} MiB saved.`);
console.log(buffers[0].equals(buffers[1]) ? 'Both copies still read the same bytes.' : 'Copies differ!');
