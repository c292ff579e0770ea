// node bench/resident-child.cjs MIB: holds MIB MiB resident, as a server's data would be: three
// quarters distinct bytes, one quarter copies of one 64 KiB block. Prints "ready"; holds until
// stdin closes.
const crypto = require('node:crypto');

const size = Number(process.argv[2]) * 1024 * 1024;
const data = Buffer.allocUnsafeSlow(size);
const distinct = (size / 4) * 3;
crypto.randomFillSync(data, 0, distinct);
const block = crypto.randomBytes(64 * 1024);
for (let at = distinct; at < size; at += block.length) block.copy(data, at);
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(data.length === size ? 0 : 1));
