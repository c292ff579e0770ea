// node copies-child.cjs MODE COUNT BYTES: holds COUNT copies of one random BYTES-byte block,
// made by MODE: 'plain' (Buffer.from), 'marked' (Buffer.from + markMergeable) or
// 'mergeableFrom'. Prints "ready" and holds them until stdin closes.
const { randomBytes } = require('node:crypto');
const ksm = require('node-ksm');

const [mode, count, bytes] = process.argv.slice(2).map((v, i) => (i ? Number(v) : v));
const data = randomBytes(bytes);
const copies = Array.from({ length: count }, () => {
  if (mode === 'mergeableFrom') return ksm.mergeableFrom(data);
  const copy = Buffer.from(data);
  if (mode === 'marked') ksm.markMergeable(copy);
  return copy;
});
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(copies.length === count ? 0 : 1));
