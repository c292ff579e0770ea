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

/**
 * Collects until the allocator's live count holds still over several rounds (or 10 s have
 * passed): what earlier tests dropped is then freed, not still on its way back from V8's
 * background thread, where it could land in the free lists between a test's own free and reuse
 * and take the place the test expects.
 */
export async function collectUntilSettled(): Promise<void> {
  let last = -1;
  let still = 0;
  await collect();
  await collectUntil(() => {
    const now = liveBlocks();
    still = now === last ? still + 1 : 0;
    last = now;
    return still >= 3;
  });
}
