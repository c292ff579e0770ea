// The page arithmetic the library does in JavaScript, for every page size Linux uses: 4 KiB
// (x86-64), 16 KiB and 64 KiB (arm64 kernels built so).
import { describe, expect, it } from 'vitest';
import { advisedPages, savings } from '../../lib/kernel/parse.js';

describe.each([4096, 16 * 1024, 64 * 1024])('page size %i', (page) => {
  it('an advice from the first page boundary covers every whole page to the end of the range', () => {
    // A view whose first boundary is 100 bytes in, over 3 whole pages and a partial one.
    expect(advisedPages(0, 100 + 3 * page + 7, 100, page)).toEqual({ start: 100, end: 100 + 3 * page, bytes: 3 * page, pages: 3 });
    // The same with an offset into the view: start stays an offset within the view.
    expect(advisedPages(50, 50 + 2 * page, 100, page)).toEqual({ start: 100, end: 100 + 2 * page, bytes: 2 * page, pages: 2 });
  });

  it('a view that starts on a page boundary, and one whose boundary is a byte before the next page', () => {
    expect(advisedPages(0, 2 * page, 0, page)).toEqual({ start: 0, end: 2 * page, bytes: 2 * page, pages: 2 });
    expect(advisedPages(0, 3 * page, page - 1, page)).toEqual({ start: page - 1, end: 3 * page - 1, bytes: 2 * page, pages: 2 });
  });

  it('no whole page: pages 0, start === end at the offset', () => {
    expect(advisedPages(10, page - 1, -1, page)).toEqual({ start: 10, end: 10, bytes: 0, pages: 0 });
  });

  it('bytes saved are pages_sharing pages; the ratio is sharers per KSM page', () => {
    expect(savings({ pagesSharing: 3, pagesShared: 2 }, page)).toEqual({ savedBytes: 3 * page, sharingRatio: 1.5 });
    expect(savings({ pagesSharing: 0, pagesShared: 0 }, page)).toEqual({ savedBytes: 0, sharingRatio: 0 });
    expect(savings({ pagesSharing: undefined, pagesShared: 5 }, page)).toEqual({ savedBytes: undefined, sharingRatio: undefined });
    expect(savings({ pagesSharing: 4, pagesShared: undefined }, page)).toEqual({ savedBytes: 4 * page, sharingRatio: undefined });
  });
});
