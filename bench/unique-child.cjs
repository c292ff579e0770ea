// node [-r node-ksm/register] --expose-gc unique-child.cjs SIZE MIB SECONDS: an app whose data
// never repeats. Holds MIB of SIZE-byte Buffers of random bytes (Buffer.allocUnsafe, filled),
// replaces the oldest twentieth of them every second for SECONDS, then prints its RSS.
const crypto = require('node:crypto');
const fs = require('node:fs');

const [size, mib, seconds] = process.argv.slice(2).map(Number);
const count = Math.floor((mib * 2 ** 20) / size);
const make = () => crypto.randomFillSync(Buffer.allocUnsafe(size));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rssBytes = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'latin1'))[1]) * 1024;

(async () => {
  const held = Array.from({ length: count }, make);
  const perTick = Math.ceil(count / 200); // a twentieth a second, in ticks of 100 ms
  let next = 0;
  for (const end = Date.now() + seconds * 1000; Date.now() < end;) {
    for (let i = 0; i < perTick; i++) {
      held[next] = make();
      next = (next + 1) % count;
    }
    await sleep(100);
  }
  // What was replaced is freed, and the allocator's timer has given back what stayed unused.
  for (let i = 0; i < 4; i++) globalThis.gc();
  await sleep(3000);
  globalThis.gc();
  // In the mode, what it decided for this size's class (the app itself knows nothing of node-ksm).
  const pages = Math.ceil(size / require('../test/helpers/page-size.cjs').PAGE_SIZE);
  const decided = process.env.NODE_KSM_MERGE === 'buffers' ? require('node-ksm').transparentModeStats().classes
    .find((c) => pages >= c.minPages && (c.maxPages === undefined || pages <= c.maxPages)) : undefined;
  process.stdout.write(`${JSON.stringify({ rssBytes: rssBytes(), buffers: held.length, decided })}\n`);
})();
