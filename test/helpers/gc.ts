// Garbage collection for tests of memory going back (vitest runs them with --expose-gc).

/** Collects and lets the event loop turn, where Node runs finalizers and FinalizationRegistry callbacks. */
export async function collect(): Promise<void> {
  for (let i = 0; i < 8; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
