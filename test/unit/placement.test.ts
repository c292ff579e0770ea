// The placement policy's decision, without a kernel: which class a size is, and how a class's
// evidence (what merged, against what placing wastes) moves it, with hysteresis.
import { describe, expect, it } from 'vitest';
import {
  classOf, classPages, decide, MIN_EVIDENCE_PAGES, RESUME_AT, STOP_BELOW, type ClassEvidence, type ClassState,
} from '../../lib/placement.js';

const PAGE = 4096;
const placing: ClassState = { placing: true, reason: 'awaitingEvidence', sampledPages: 0, mergedPages: 0 };
const stopped: ClassState = { placing: false, reason: 'notMerging', sampledPages: 0, mergedPages: 0 };

/** 1,000 live Buffers of `bytes` each, and a sample of 256 of their pages, `merged` of them merged. */
function evidence(bytes: number, mergedShare: number, sampledPages = 256): ClassEvidence {
  const pages = Math.ceil(bytes / PAGE);
  return { liveBytes: 1000 * bytes, livePages: 1000 * pages, sampledPages, mergedPages: Math.round(mergedShare * sampledPages) };
}

describe('placement classes', () => {
  it('are the allocator\'s: 1 page, 2, 3-4, ... 129-256, then every larger size', () => {
    const sizes = [1, 4096, 4097, 8192, 8193, 16384, 16385, 65536, 256 * 4096, 256 * 4096 + 1, 2 ** 40];
    expect(sizes.map((size) => classOf(size, PAGE))).toEqual([0, 0, 1, 1, 2, 2, 3, 4, 8, 9, 9]);
    expect([0, 1, 2, 3, 8, 9].map(classPages)).toEqual([
      { minPages: 1, maxPages: 1 }, { minPages: 2, maxPages: 2 }, { minPages: 3, maxPages: 4 }, { minPages: 5, maxPages: 8 },
      { minPages: 129, maxPages: 256 }, { minPages: 257, maxPages: undefined }]);
    // Every size in a class lies within its pages.
    for (let pages = 1; pages <= 300; pages++) {
      const { minPages, maxPages = Infinity } = classPages(classOf(pages * PAGE, PAGE));
      expect(pages >= minPages && pages <= maxPages, `${pages} pages`).toBe(true);
    }
  });
});

describe('decide()', () => {
  it('keeps placing what merges more than placing wastes, and stops what does not', () => {
    // 6 KiB Buffers waste a quarter of their 2 pages: all merged pays, none merged does not.
    expect(decide(placing, evidence(6144, 1), PAGE)).toMatchObject({ placing: true, reason: 'merging' });
    expect(decide(placing, evidence(6144, 0), PAGE)).toMatchObject({ placing: false, reason: 'notMerging' });
    // 4,097-byte unique Buffers: only the one-byte last pages merge (256 values), half the pages,
    // which is what placing them wastes: no gain, so not placed.
    expect(decide(placing, evidence(4097, 0.5), PAGE)).toMatchObject({ placing: false, reason: 'notMerging' });
    // Whole pages waste nothing: any merging pays.
    expect(decide(placing, evidence(4096, STOP_BELOW + 0.01), PAGE)).toMatchObject({ placing: true });
  });

  it('waits for enough evidence, and moves between states with a gap (hysteresis)', () => {
    expect(decide(placing, evidence(6144, 0, MIN_EVIDENCE_PAGES - 1), PAGE)).toMatchObject({ placing: true, reason: 'awaitingEvidence' });
    expect(decide(stopped, evidence(6144, 1, MIN_EVIDENCE_PAGES - 1), PAGE)).toMatchObject({ placing: false, reason: 'notMerging' });
    // For whole pages the gain is the merged share: between the two lines a class stays as it is.
    const between = (STOP_BELOW + RESUME_AT) / 2;
    expect(decide(placing, evidence(4096, between), PAGE).placing).toBe(true);
    expect(decide(stopped, evidence(4096, between), PAGE).placing).toBe(false);
    expect(decide(stopped, evidence(4096, RESUME_AT + 0.01), PAGE)).toMatchObject({ placing: true, reason: 'merging' });
    expect(decide(placing, evidence(4096, STOP_BELOW - 0.01), PAGE)).toMatchObject({ placing: false, reason: 'notMerging' });
  });

  it('weighs recent checks most: old evidence halves at each', () => {
    let state = placing;
    for (let i = 0; i < 4; i++) state = decide(state, evidence(6144, 1), PAGE);
    expect(state.placing).toBe(true);
    // The data changed: unique from now on. Within a few checks the class stops.
    const checks = [];
    for (let i = 0; i < 6 && state.placing; i++) checks.push((state = decide(state, evidence(6144, 0), PAGE)).placing);
    expect(state.placing).toBe(false);
    expect(checks.length).toBeLessThanOrEqual(3);
    expect(state.sampledPages).toBeLessThan(4 * 256);
  });
});
