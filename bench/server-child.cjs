// node server-child.cjs MODE OBJECTS_MIB DATA_MIB: a server-like process. It keeps OBJECTS_MIB
// of live JS objects that it keeps changing, plus two copies of DATA_MIB of the same data,
// made mergeable by MODE: 'process' (enableProcessMerge, plain Buffers) or 'targeted'
// (mergeableFrom only). Prints "ready" and runs until stdin closes.
const { randomFillSync } = require('node:crypto');
const ksm = require('node-ksm');
const { liveHeap } = require('./live-heap.cjs');

const [mode, objectsMib, dataMib] = process.argv.slice(2).map((v, i) => (i ? Number(v) : v));
if (mode === 'process') ksm.enableProcessMerge();

const objects = liveHeap(objectsMib);
// Exactly two copies (no third source buffer left behind to merge with).
const size = dataMib * 1024 * 1024;
const first = randomFillSync(mode === 'process' ? Buffer.alloc(size) : ksm.allocMergeable(size));
const copies = [first, mode === 'process' ? Buffer.from(first) : ksm.mergeableFrom(first)]; // large: malloc mmaps them alike

process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(copies.length === 2 && objects.length > 0 ? 0 : 1));
