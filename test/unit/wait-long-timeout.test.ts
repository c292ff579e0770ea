// waitForMerge's timeout against a deadline: a timer waits at most 2^31-1 ms (Node fires a
// longer one after 1 ms with a TimeoutOverflowWarning), so longer timeouts, and ksmd's
// sleep_millisecs (up to 2^32-1) as a poll pause, must be slept in pieces. ksmd's files are
// faked: the predicate is the target, so nothing here reads the kernel.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KsmError, waitForMerge } from '../../lib/index.js';

const kernel = vi.hoisted(() => ({ sleepMillisecs: 20 }));

vi.mock('../../lib/kernel/ksmd-files.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lib/kernel/ksmd-files.js')>()),
  readKsmdValue: (key: string) => (key === 'run' ? 1 : key === 'sleepMillisecs' ? kernel.sleepMillisecs : undefined),
}));

const LONGER_THAN_A_TIMER = 2 ** 31 + 1000;

describe('waitForMerge with a timeout longer than a timer can wait', () => {
  let warnings: Error[];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeEach(() => {
    warnings = [];
    kernel.sleepMillisecs = 20;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  /** Starts a wait, lets it run for `ms`, then aborts it: how it settled, in that order. */
  async function runFor(ms: number, target: () => boolean | Promise<boolean>, timeout: number) {
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    const outcome = waitForMerge(target, { timeout, signal: controller.signal }).then(
      () => 'resolved', (error: unknown) => (error === reason ? 'aborted' : error));
    const early = await Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, ms, 'still waiting'))]);
    controller.abort(reason);
    return { early, settled: await outcome };
  }

  it.each([
    ['an async predicate (the timer racing each check)', () => Promise.resolve(false)],
    ['a predicate that never settles', () => new Promise<boolean>(() => {})],
    ['a predicate answering false (the poll sleep)', () => false],
  ])('%s: still waiting after 300 ms, no TimeoutOverflowWarning, then the signal ends it', async (_how, target) => {
    const { early, settled } = await runFor(300, target, LONGER_THAN_A_TIMER);
    expect(early).toBe('still waiting');
    expect(settled).toBe('aborted');
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });

  it('a sleep_millisecs of 2^32-1 ms does not outlast a short timeout: it ends with ETIMEDOUT on time', async () => {
    kernel.sleepMillisecs = 2 ** 32 - 1;
    const started = performance.now();
    const error = await waitForMerge(() => false, { timeout: 1000 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT' });
    expect(took).toBeGreaterThanOrEqual(990); // not before the timeout
    expect(took).toBeLessThan(5000); // the poll's sleep is cut at the deadline, not slept whole
  });

  it('a sleep_millisecs longer than a timer (2^32-1) polls on, without a TimeoutOverflowWarning', async () => {
    kernel.sleepMillisecs = 2 ** 32 - 1;
    let checks = 0;
    const { early, settled } = await runFor(300, () => (checks++, false), LONGER_THAN_A_TIMER);
    expect([early, settled]).toEqual(['still waiting', 'aborted']);
    expect(checks).toBe(1); // one check, then one long sleep: an overflowed timer would poll every ms
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });

  it('Infinity is no timeout at all', async () => {
    const { early, settled } = await runFor(300, () => Promise.resolve(false), Infinity);
    expect([early, settled]).toEqual(['still waiting', 'aborted']);
  });

  it.each([
    ['an async predicate', () => Promise.resolve(false)],
    ['a predicate that never settles', () => new Promise<boolean>(() => {})],
    ['a predicate answering false', () => false],
  ])('%s: a short timeout still rejects with ETIMEDOUT once it has passed', async (_how, target) => {
    const started = performance.now();
    const error = await waitForMerge(target, { timeout: 50 }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', errno: -110 });
    expect(elapsed).toBeGreaterThanOrEqual(49);
    expect(elapsed).toBeLessThan(2000);
  });

  it('a predicate that turns true ends a long wait', async () => {
    let checks = 0;
    await expect(waitForMerge(async () => ++checks === 3, { timeout: LONGER_THAN_A_TIMER })).resolves.toBeUndefined();
    expect(checks).toBe(3);
  });

  it('an abort made while the predicate runs is not missed, however long the wait could be', async () => {
    const controller = new AbortController();
    const reason = new Error('aborted inside the check');
    const outcome = waitForMerge(() => {
      controller.abort(reason);
      return new Promise<boolean>(() => {}); // never settles
    }, { timeout: Infinity, signal: controller.signal });
    const settled = await Promise.race([outcome.then(() => 'resolved', (error: unknown) => error),
      new Promise((resolve) => setTimeout(resolve, 500, 'still waiting'))]);
    expect(settled).toBe(reason);
  });
});
