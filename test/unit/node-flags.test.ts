import { describe, expect, it } from 'vitest';
import { splitNodeOptions, zeroFillBuffers } from '../../lib/node-flags.js';

describe('NODE_OPTIONS as Node splits it', () => {
  it('splits on white space, groups double-quoted text and unescapes inside quotes', () => {
    expect(splitNodeOptions('')).toEqual([]);
    expect(splitNodeOptions('  --a   --b\t--c\n')).toEqual(['--a', '--b', '--c']);
    expect(splitNodeOptions('--require "./my file.js" --x')).toEqual(['--require', './my file.js', '--x']);
    expect(splitNodeOptions('"--zero-fill-buffers"')).toEqual(['--zero-fill-buffers']);
    expect(splitNodeOptions('"a \\" b" ""')).toEqual(['a " b', '']);
  });
});

describe('--zero-fill-buffers', () => {
  it('is on when given on the command line or in NODE_OPTIONS, with - or _', () => {
    expect(zeroFillBuffers([], '')).toBe(false);
    expect(zeroFillBuffers(['--zero-fill-buffers'], '')).toBe(true);
    expect(zeroFillBuffers([], '--max-old-space-size=100 --zero-fill-buffers')).toBe(true);
    expect(zeroFillBuffers(['--zero_fill_buffers'], '')).toBe(true);
    expect(zeroFillBuffers([], '"--zero-fill-buffers"')).toBe(true);
  });

  it('the last word wins, and the command line comes after NODE_OPTIONS', () => {
    expect(zeroFillBuffers(['--no-zero-fill-buffers'], '--zero-fill-buffers')).toBe(false);
    expect(zeroFillBuffers(['--zero-fill-buffers', '--no-zero-fill-buffers'], '')).toBe(false);
    expect(zeroFillBuffers(['--no-zero-fill-buffers', '--zero-fill-buffers'], '')).toBe(true);
    expect(zeroFillBuffers([], '--zero-fill-buffers --no-zero-fill-buffers')).toBe(false);
  });

  it('is not fooled by other flags or by the text inside a value', () => {
    expect(zeroFillBuffers(['--zero-fill-buffers-please'], '')).toBe(false);
    expect(zeroFillBuffers([], '--title="--zero-fill-buffers x"')).toBe(false);
  });
});
