// The smallest proof that node-ksm works: two identical 32 MiB buffers in mergeable memory,
// and the kernel's own count of how many of their pages merged.
// Run with `npm run demo`. Starting ksmd needs root; every setting it changes is restored.
import { randomBytes } from 'node:crypto';
import { capabilities, ksmd, mergeableFrom, processStats, systemStats, waitForMerge } from 'node-ksm';

const SIZE = 32 * 1024 * 1024;
const content = randomBytes(SIZE);
const copies = [mergeableFrom(content), mergeableFrom(content)];
const pages = (2 * SIZE) / 4096;
console.log(`Two copies of ${SIZE / 2 ** 20} MiB of identical data: ${pages} pages, marked mergeable.`);

const caps = capabilities();
if (!caps.ksmdRunning && !caps.canControlKsmd) {
  console.log('ksmd is not running, and starting it needs root: sudo sh -c "echo 1 > /sys/kernel/mm/ksm/run"');
  process.exit(0);
}

const previous = caps.ksmdRunning ? undefined : ksmd.configure({ pagesToScan: 5000, sleepMillisecs: 10 });
const run = caps.ksmdRunning ? undefined : ksmd.start();
const restore = () => {
  if (previous) ksmd.configure(previous);
  if (run !== undefined && run !== 1) (run === 2 ? ksmd.unmergeAll : ksmd.stop)();
};
process.once('SIGINT', () => { restore(); process.exit(130); });
try {
  await waitForMerge(copies[0], { timeout: 30_000 });
  await waitForMerge(() => processStats().mergingPages >= pages - 4, { timeout: 10_000 });
} finally {
  restore();
}
const merged = processStats().mergingPages;
console.log(`Merged ${merged} of ${pages} pages: ${((merged / 2) * 4096 / 2 ** 20).toFixed(1)} MiB saved ` +
  `(system-wide: ${(systemStats().savedBytes / 2 ** 20).toFixed(1)} MiB).`);
console.log(copies[0].equals(copies[1]) ? 'Both copies still read the same bytes.' : 'Copies differ!');
