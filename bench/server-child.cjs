// node server-child.cjs MODE OBJECTS_MIB DATA_MIB: a server-like process. It keeps OBJECTS_MIB
// of live JS objects that it keeps changing, plus two copies of DATA_MIB of the same data,
// made mergeable by MODE: 'process' (enableProcessMerge, plain Buffers) or 'targeted'
// (mergeableFrom only). Prints "ready" and runs until stdin closes.
const { randomFillSync } = require('node:crypto');
const ksm = require('node-ksm');

const [mode, objectsMib, dataMib] = process.argv.slice(2).map((v, i) => (i ? Number(v) : v));
if (mode === 'process') ksm.enableProcessMerge();

// ~100 bytes an object: a small record with a string, as a cache or session table holds.
const objects = Array.from({ length: Math.round((objectsMib * 1024 * 1024) / 100) },
  (_, i) => ({ id: i, name: `user-${i}`, hits: 0, score: Math.random() }));
// Exactly two copies (no third source buffer left behind to merge with).
const size = dataMib * 1024 * 1024;
const first = randomFillSync(mode === 'process' ? Buffer.alloc(size) : ksm.allocMergeable(size));
const copies = [first, mode === 'process' ? Buffer.from(first) : ksm.mergeableFrom(first)]; // large: malloc mmaps them alike

// Live traffic: 1% of the objects change every 20 ms.
setInterval(() => {
  for (let n = 0; n < objects.length / 100; n++) {
    const object = objects[Math.floor(Math.random() * objects.length)];
    object.hits++;
    object.score = Math.random();
  }
}, 20);
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(copies.length === 2 ? 0 : 1));
