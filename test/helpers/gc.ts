// Garbage collection for tests of memory going back (vitest runs them with --expose-gc).
import { addon } from '../../lib/kernel/addon.js';
import { collectUntil as collectUntilDone } from './collect-until.cjs';

/** Collects and lets the event loop turn, where Node runs finalizers and FinalizationRegistry callbacks. */
export async function collect(): Promise<void> {
  for (let i = 0; i < 8; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Collects until `done()`, or `ms` have passed (collect-until.cjs says why tests wait). */
export async function collectUntil(done: () => boolean, ms?: number): Promise<void> {
  await collect();
  if (!done()) await collectUntilDone(done, ms);
}

/** The blocks node-ksm's allocator has handed out and not had back (all threads). */
export const liveBlocks = () => addon().allocatorStats().liveBlocks;

/** Collects until the allocator holds at most `most` live blocks (or 10 s have passed). */
export const collectUntilLive = (most: number) => collectUntil(() => liveBlocks() <= most);
