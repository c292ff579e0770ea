// Timing as ratios: every variant of a figure runs in the same rounds, interleaved, and each
// figure is the median of its rounds, so machine noise hits both sides alike.
import os from 'node:os';
import fs from 'node:fs';

/**
 * Runs each variant `iterations` times per round for `rounds` rounds, interleaved, and returns
 * the median nanoseconds per operation of each.
 */
export function compare(variants, { rounds = 15, iterations = 1000 } = {}) {
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (const fn of Object.values(variants)) for (let i = 0; i < Math.min(iterations, 100); i++) fn(i);
  for (let round = 0; round < rounds; round++) {
    const names = Object.keys(variants);
    if (round % 2) names.reverse();
    for (const name of names) {
      const fn = variants[name];
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) fn(i);
      samples[name].push(Number(process.hrtime.bigint() - start) / iterations);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const ksm = fs.existsSync('/sys/kernel/mm/ksm') ? 'KSM present' : 'no KSM';
  return `Linux ${os.release()}, ${os.cpus().length} x ${cpu}, Node ${process.version}, ${ksm}`;
}
