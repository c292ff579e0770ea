// Where transparent mode decides to place (placement 'adaptive'), on the real kernel: nothing
// while ksmd is stopped; per class, on while its placed pages merge, off (but for probes) while
// they do not, and on again when they start to.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { disableTransparentMode, enableTransparentMode, inspect, transparentModeStats } from '../../lib/index.js';
import { checkNow, classOf, PROBE_EVERY } from '../../lib/placement.js';
import { collect } from '../helpers/gc.js';
import { ksmdUnavailable, waitUntil, withKsmd } from '../helpers/ksmd.js';
import { PAGE_SIZE as PAGE } from '../helpers/page-size.cjs';

const UNIQUE = 6 * 1024; // 2 pages
const TEMPLATE = 12 * 1024; // 3 pages: another class
const uniqueClass = classOf(UNIQUE, PAGE);
const templateClass = classOf(TEMPLATE, PAGE);
const template = randomBytes(TEMPLATE).toString('latin1');

const stateOf = (index: number) => transparentModeStats().classes[index];

/** `count` Buffers from `make`, and how many of them were placed, by the mode's count (up to 100
 *  Buffers also checked in the kernel's smaps: reading it for thousands is slow under ASan). */
function make(count: number, one: () => Buffer): { buffers: Buffer[]; placed: number } {
  const before = transparentModeStats().placed.buffers;
  const buffers = Array.from({ length: count }, one);
  const placed = transparentModeStats().placed.buffers - before;
  if (count <= 100) expect(buffers.filter((buffer) => inspect(buffer).marked).length).toBe(placed);
  return { buffers, placed };
}

/** Checks every 200 ms (as the mode's timer would, faster) until `done`, for up to 30 s. */
async function checkUntil(done: () => boolean): Promise<boolean> {
  return waitUntil(() => {
    checkNow();
    return done();
  }, 30_000, 200);
}

afterEach(() => disableTransparentMode());

describe.skipIf(ksmdUnavailable)('adaptive placement', () => {
  it('steps aside while ksmd is stopped (Node\'s own factories, nothing placed or counted), and places when it starts', async () => {
    const node = { from: Buffer.from, concat: Buffer.concat };
    enableTransparentMode();
    await withKsmd(() => {
      checkNow();
      expect({ from: Buffer.from, concat: Buffer.concat }).toEqual(node);
      const before = transparentModeStats();
      expect(make(100, () => Buffer.from(template, 'latin1')).placed).toBe(0);
      expect(stateOf(templateClass)).toMatchObject({ placing: false, reason: 'ksmdStopped', notPlaced: { buffers: 0 } });
      expect(transparentModeStats().left).toEqual(before.left);
    }, { run: 0 });
    await withKsmd(() => {
      checkNow();
      expect(Buffer.from).not.toBe(node.from);
      expect(make(100, () => Buffer.from(template, 'latin1')).placed).toBe(100);
      expect(stateOf(templateClass)).toMatchObject({ placing: true, reason: 'awaitingEvidence', placed: { buffers: 100 } });
    });
    // And aside again when it stops.
    await withKsmd(() => {
      checkNow();
      expect(Buffer.from).toBe(node.from);
    }, { run: 0 });
  });

  it('stops a class whose placed pages do not merge, keeps one that merges, and resumes the first when its data repeats', async () => {
    enableTransparentMode();
    await withKsmd(async () => {
      checkNow();
      let unique: ReturnType<typeof make> | undefined = make(2000, () => Buffer.from(randomBytes(UNIQUE).toString('latin1'), 'latin1'));
      const copies = make(2000, () => Buffer.from(template, 'latin1'));
      expect([unique.placed, copies.placed]).toEqual([2000, 2000]);
      const judged = await checkUntil(() => stateOf(uniqueClass).reason === 'notMerging' && stateOf(templateClass).reason === 'merging');
      expect({ judged, unique: stateOf(uniqueClass), copies: stateOf(templateClass) })
        .toMatchObject({ judged: true, unique: { placing: false }, copies: { placing: true } });
      expect(stateOf(uniqueClass).mergedShare).toBeLessThan(0.1);
      expect(stateOf(templateClass).mergedShare).toBeGreaterThan(0.9);
      // Now: new copies of the template are placed; of new 6 KiB Buffers only the probes, 1 in
      // PROBE_EVERY, also from UTF-8 strings, whose byte length could be the template's class.
      const ascii = () => randomBytes(UNIQUE).toString('base64').slice(0, UNIQUE);
      let more: ReturnType<typeof make> | undefined = make(10 * PROBE_EVERY, () => Buffer.from(ascii()));
      expect(more.placed).toBe(10);
      expect(make(100, () => Buffer.from(template, 'latin1')).placed).toBe(100);

      // The 6 KiB Buffers turn into copies of one page: the probes merge, and the class resumes.
      unique = undefined;
      more = undefined;
      await collect();
      const page = randomBytes(UNIQUE).toString('latin1');
      const repeated = make(100 * PROBE_EVERY, () => Buffer.from(page, 'latin1'));
      expect(repeated.placed).toBe(100);
      const resumed = await checkUntil(() => stateOf(uniqueClass).placing);
      expect({ resumed, state: stateOf(uniqueClass) }).toMatchObject({ resumed: true, state: { reason: 'merging' } });
      expect(make(1, () => Buffer.from(page, 'latin1')).placed).toBe(1);
      expect([copies.buffers.length, repeated.buffers.length]).toEqual([2000, 100 * PROBE_EVERY]); // held to here
    });
  }, 180_000);
});
