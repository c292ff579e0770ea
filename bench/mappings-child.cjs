// node mappings-child.cjs MODE COUNT: makes COUNT small buffers (8 KiB, one whole page each),
// either 'marked' one by one (Buffer.alloc + markMergeable) or with 'allocMergeable', and
// prints { made, mappingsAdded, error } as JSON lines as it goes (the last one is the result),
// so a process that dies at the mapping limit still leaves its figures. Marking stops at the
// first failure.
const fs = require('node:fs');
const ksm = require('node-ksm');

const [mode, count] = [process.argv[2], Number(process.argv[3])];
const maps = () => fs.readFileSync('/proc/self/maps', 'latin1').split('\n').length - 1;
const before = maps();
const buffers = [];
let error;
try {
  for (let i = 0; i < count; i++) {
    if (mode === 'marked') {
      const buffer = Buffer.alloc(8192);
      ksm.markMergeable(buffer);
      buffers.push(buffer);
    } else {
      buffers.push(ksm.allocMergeable(8192));
    }
    if (i % 5000 === 4999) console.log(JSON.stringify({ made: buffers.length, mappingsAdded: maps() - before }));
  }
} catch (e) {
  error = e.code;
}
console.log(JSON.stringify({ made: buffers.length, mappingsAdded: maps() - before, error }));
