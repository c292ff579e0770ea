// Collects until `done()` says the memory went back, or `ms` have passed: V8 frees an
// ArrayBuffer's memory on its own time after the collection that found it dead (on a background
// thread, later on a busy machine), and node-ksm lets go of marked heap memory only at its next
// sweep. Plain JavaScript, so that the fixtures' child processes share it (needs --expose-gc).
'use strict';

/**
 * @param {() => boolean} done
 * @param {number} [ms]
 */
async function collectUntil(done, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (done() || Date.now() > deadline) return;
  }
}

module.exports = { collectUntil };
