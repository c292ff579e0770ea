// Timing as ratios: every variant of a figure runs in the same rounds, interleaved, and each
// figure is the median of its rounds, so machine noise hits both sides alike.
import fs from 'node:fs';
import os from 'node:os';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs each variant `iterations` times per round for `rounds` rounds, interleaved, and returns
 * the median nanoseconds per operation of each. With `collect`, each round also pays for
 * freeing what it made, as a server would: the results are kept alive, then dropped, and the
 * event loop turns once (where Node runs the finalizers of external memory) inside the timing;
 * V8 collects when it decides to, in whichever round's allocations make it.
 */
export async function compare(variants, { rounds = 15, iterations = 1000, collect = false } = {}) {
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  const run = async (fn) => {
    let kept = collect ? new Array(iterations) : undefined;
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      let result = fn(i);
      if (result instanceof Promise) result = await result; // an async variant is timed to its end
      if (kept) kept[i] = result;
    }
    if (kept) {
      kept = undefined;
      await tick();
    }
    return Number(process.hrtime.bigint() - start) / iterations;
  };
  for (const fn of Object.values(variants)) await run(fn); // warm-up
  for (let round = 0; round < rounds; round++) {
    const names = Object.keys(variants);
    if (round % 2) names.reverse();
    for (const name of names) samples[name].push(await run(variants[name]));
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
