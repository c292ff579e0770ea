// The plainest way to count a view's KSM pages: a pread per page of pagemap, then of
// kpageflags. The bench measures inspect() against it; the tests check inspect() by it.
'use strict';
const fs = require('node:fs');

const PAGE = 4096;
const FRAME = (1n << 55n) - 1n;
const KPF_KSM = 1n << 21n;

/** Pages in [address + start, address + end) whose frame has KPF_KSM. */
function mergedByHand(address, start, end) {
  const pagemap = fs.openSync('/proc/self/pagemap', 'r');
  const kpageflags = fs.openSync('/proc/kpageflags', 'r');
  const entry = Buffer.alloc(8);
  let merged = 0;
  try {
    for (let offset = start; offset < end; offset += PAGE) {
      fs.readSync(pagemap, entry, 0, 8, ((address + offset) / PAGE) * 8);
      const value = entry.readBigUInt64LE();
      if (!(value >> 63n)) continue;
      fs.readSync(kpageflags, entry, 0, 8, Number(value & FRAME) * 8);
      if (entry.readBigUInt64LE() & KPF_KSM) merged++;
    }
  } finally {
    fs.closeSync(pagemap);
    fs.closeSync(kpageflags);
  }
  return merged;
}

exports.mergedByHand = mergedByHand;
