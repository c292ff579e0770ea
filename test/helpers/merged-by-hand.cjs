// The two plain ways to count a view's KSM pages: a pread per page of pagemap, then of
// kpageflags; or pagemap at once, then kpageflags in one read over the frames' whole span.
// The bench measures inspect() against both; the tests check inspect() by the first. Plain
// JavaScript, typed by its JSDoc, so the bench runs it as it is and the tests type-check it.
'use strict';
const fs = require('node:fs');
const { PAGE_SIZE: PAGE } = require('./page-size.cjs');

const FRAME = (1n << 55n) - 1n;
const KPF_KSM = 1n << 21n;

const KPF_ZERO_PAGE = 1n << 24n;

/**
 * Pages in [address + start, address + end) whose frame has KPF_KSM (or the flag given, such
 * as KPF_ZERO_PAGE), read a pread per page.
 * @param {number} address @param {number} start @param {number} end @param {bigint} [flag]
 * @returns {number}
 */
function mergedByHand(address, start, end, flag = KPF_KSM) {
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
      if (entry.readBigUInt64LE() & flag) merged++;
    }
  } finally {
    fs.closeSync(pagemap);
    fs.closeSync(kpageflags);
  }
  return merged;
}

/**
 * The same count with one pread of pagemap and one of kpageflags, from the lowest frame the
 * view uses to the highest. Returns the count and how many frames that read covered.
 * @param {number} address @param {number} start @param {number} end
 * @returns {{ merged: number, span: number }}
 */
function mergedBySpanRead(address, start, end) {
  const pages = (end - start) / PAGE;
  const entries = Buffer.alloc(pages * 8);
  /** @type {number[]} */
  const frames = [];
  const pagemap = fs.openSync('/proc/self/pagemap', 'r');
  try {
    fs.readSync(pagemap, entries, 0, entries.length, ((address + start) / PAGE) * 8);
  } finally {
    fs.closeSync(pagemap);
  }
  for (let i = 0; i < pages; i++) {
    const value = entries.readBigUInt64LE(i * 8);
    if (value >> 63n) frames.push(Number(value & FRAME));
  }
  if (frames.length === 0) return { merged: 0, span: 0 };
  let low = Infinity;
  let high = -Infinity;
  for (const frame of frames) {
    if (frame < low) low = frame;
    if (frame > high) high = frame;
  }
  const span = high - low + 1;
  const flags = Buffer.alloc(span * 8);
  const kpageflags = fs.openSync('/proc/kpageflags', 'r');
  try {
    fs.readSync(kpageflags, flags, 0, flags.length, low * 8);
  } finally {
    fs.closeSync(kpageflags);
  }
  let merged = 0;
  for (const frame of frames) if (flags.readBigUInt64LE((frame - low) * 8) & KPF_KSM) merged++;
  return { merged, span };
}

module.exports = { KPF_ZERO_PAGE, mergedByHand, mergedBySpanRead };
