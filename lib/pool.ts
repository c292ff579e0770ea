// A few async jobs at a time over a list of items, stopping together: once one fails, the
// others stop too instead of running on for a result nobody will see.
import { throwIfAborted } from './args.js';

/**
 * Runs `run` on each item, in order, at most `width` at once, and resolves when all are done.
 * Rejects with the first failure; the other runs stop before their next item, or at their next
 * `check()`, which throws once one has failed or the signal has aborted (AbortError). The signal
 * is also looked at before each item and once all are done.
 */
export async function pool<T>(items: Iterable<T>, width: number,
  run: (item: T, check: () => void) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const queue = items[Symbol.iterator]();
  let failed = false;
  const check = () => {
    throwIfAborted(signal);
    // Never seen by the caller: the pool has already rejected with the failure that set it.
    if (failed) throw new Error('Stopped: another item failed');
  };
  const worker = async () => {
    try {
      for (let next = queue.next(); !next.done; next = queue.next()) {
        check();
        await run(next.value, check);
      }
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  check();
}
