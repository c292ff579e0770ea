// Garbage collection for tests of memory going back (vitest runs them with --expose-gc).
import { native } from '../../lib/kernel/addon.js';

/** Collects and lets the event loop turn, where Node runs finalizers and FinalizationRegistry callbacks. */
export async function collect(): Promise<void> {
  for (let i = 0; i < 8; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Collects until `done()` says the memory went back, or `ms` have passed. V8 frees an
 * ArrayBuffer's memory on its own time after the collection that found it dead (on a background
 * thread, later on a busy machine), so a test that needs a block freed waits for it.
 */
export async function collectUntil(done: () => boolean, ms = 10_000): Promise<void> {
  await collect();
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The blocks node-ksm's allocator has handed out and not had back (all threads). */
export const liveBlocks = () => native().allocatorStats().liveBlocks;

/** Collects until the allocator holds at most `most` live blocks (or 10 s have passed). */
export const collectUntilLive = (most: number) => collectUntil(() => liveBlocks() <= most);
