// Transparent mode in unchanged code: what it places, that the app sees Node's behaviour
// exactly, and that it never stops an app from starting. (That placed copies really merge is
// in test/system/merge.test.ts, on the real kernel.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disableTransparentMode, enableTransparentMode, inspect, transparentModeStats } from '../../lib/index.js';
import { packageRoot } from '../helpers/child.js';
import { fixture } from '../helpers/paths.js';
import { linux } from '../helpers/platform.js';

const BIN = path.join(packageRoot, 'bin', 'ksm.js');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-transparent-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs node with `args` from the package root; `mode` adds the preload hook in transparent mode,
 *  placing whatever ksmd does (these tests are about what placing does; test/system/placement
 *  tests where the mode decides to place). */
function node(args: string[], { mode = false, env = {} }: { mode?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [...(mode ? ['-r', 'node-ksm/register'] : []), ...args], {
    cwd: packageRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_KSM_MERGE: mode ? 'buffers' : undefined, NODE_KSM_BUFFER_THRESHOLD: undefined,
      NODE_KSM_PLACEMENT: 'always', ...env },
  });
  return { ...result, stderr: result.stderr.replace(/.*DEP0005.*\n.*--trace-deprecation.*\n/, '') };
}

type Placement = Record<string, { placed: number; marked: boolean | undefined; length: number; byteOffset: number }>;
const placements = (options: Parameters<typeof node>[1]) => {
  const result = node([fixture('transparent-placement.cjs')], options);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Placement;
};

interface CallLine {
  case: string;
  layout?: { byteOffset: number; arrayBuffer: number };
  length?: number;
  [key: string]: unknown;
}

/**
 * Compares a differential run of buffer-calls.cjs in the mode with one in plain Node, line by
 * line, so that a difference names its case. Everything the app observes must be the same but
 * the layout of Buffers Node slices out of its pool (byteOffset > 0 or an ArrayBuffer larger
 * than the Buffer), which the mode may place in memory of their own (byteOffset 0), as Node
 * does above Buffer.poolSize / 2; below the threshold both are Node's pool, at offsets that
 * move with what the mode took out of it. Returns the cases of 4096 bytes and up that the mode
 * placed where Node pooled.
 */
function compareRuns(plainOut: string, modeOut: string): string[] {
  const plain = plainOut.trim().split('\n').map((line) => JSON.parse(line) as CallLine);
  const mode = modeOut.trim().split('\n').map((line) => JSON.parse(line) as CallLine);
  expect(plain.length).toBeGreaterThan(2000);
  const relaid: string[] = [];
  for (let i = 0; i < plain.length; i++) {
    const { layout: plainLayout, ...observed } = plain[i];
    const { layout: modeLayout, ...modeObserved } = mode[i] ?? {};
    expect(modeObserved).toEqual(observed);
    if (JSON.stringify(plainLayout) === JSON.stringify(modeLayout)) continue;
    const pooled = (layout: CallLine['layout']) => layout !== undefined && layout.arrayBuffer > (observed.length ?? 0);
    expect({ case: observed.case, pooledByNode: pooled(plainLayout) }).toEqual({ case: observed.case, pooledByNode: true });
    // byteOffset 0: placed (at or above the threshold), or the start of one of Node's pools.
    if (modeLayout?.byteOffset === 0) {
      if ((observed.length ?? 0) >= 4096) relaid.push(observed.case);
    } else expect({ case: observed.case, pooledInTheMode: pooled(modeLayout) }).toEqual({ case: observed.case, pooledInTheMode: true });
  }
  expect(mode).toHaveLength(plain.length);
  return relaid;
}

describe.skipIf(!linux)('transparent mode', () => {
  it('a differential run of every Buffer and fs call, plain Node and in the mode, prints the same', () => {
    const plain = node(['--expose-gc', fixture('buffer-calls.cjs'), scratch]);
    const mode = node(['--expose-gc', fixture('buffer-calls.cjs'), scratch], { mode: true });
    expect(plain.stderr).toBe('');
    expect(plain.status).toBe(0);
    expect(mode.status).toBe(0);
    const lines = mode.stdout.trim().split('\n');
    const { stats } = JSON.parse(lines.pop() ?? '{}');
    const relaid = compareRuns(plain.stdout, lines.join('\n'));
    // Where Node pools only below the threshold (Node 20 and 22: Buffer.poolSize is 8 KiB), the
    // mode places nothing Node would pool, but where the fixture raises Buffer.poolSize.
    if (Buffer.poolSize >>> 1 <= 4096) expect(relaid.filter((name) => !name.startsWith('poolSize 65536'))).toEqual([]);
    else expect(relaid).toContain('from(ascii x 6000, utf8)');
    // And the mode was really at work in that run.
    expect(stats.enabled).toBe(true);
    expect(stats.placed.buffers).toBeGreaterThan(500);
    expect(stats.left.belowThreshold.buffers).toBeGreaterThan(500);
    expect(stats.left.fallback.buffers).toBe(0);
  }, 60_000);

  it.each([
    ['on the command line', ['--zero-fill-buffers'], {}],
    ['in NODE_OPTIONS', [], { NODE_OPTIONS: '--zero-fill-buffers' }],
  ])('--zero-fill-buffers %s: the mode zero-fills allocUnsafe and allocUnsafeSlow as Node does', (_where, flags, env) => {
    const run = (mode: boolean) => node([...flags, '--expose-gc', fixture('buffer-calls.cjs'), scratch],
      { mode, env: { ...env, BUFFER_CALLS_RAW: '1' } });
    const plain = run(false);
    const mode = run(true);
    expect(plain.status).toBe(0);
    expect(mode.status).toBe(0);
    const rawLines = (out: string) => out.split('\n').filter((line) => line.includes('"raw '));
    expect(rawLines(plain.stdout)).toHaveLength(8);
    expect(rawLines(mode.stdout)).toHaveLength(8);
    compareRuns(plain.stdout, mode.stdout.trim().split('\n').slice(0, -1).join('\n'));
  }, 60_000);

  it('places every covered call at or above 4096 bytes in mergeable memory, and nothing below', () => {
    const results = placements({ mode: true });
    expect(Object.keys(results)).toHaveLength(13 * 6);
    for (const [name, result] of Object.entries(results)) {
      const size = Number(name.split(' ').pop());
      const expected = size >= 4096
        ? { placed: expect.any(Number), marked: true, byteOffset: 0 }
        : { placed: 0, marked: false };
      expect({ name, ...result }).toMatchObject({ name, ...expected });
      if (size >= 4096) expect(result.placed).toBeGreaterThanOrEqual(1);
    }
    // Without the mode, the same calls give memory nobody marked.
    for (const [name, result] of Object.entries(placements({}))) expect({ name, marked: result.marked }).toEqual({ name, marked: false });
  }, 60_000);

  it('NODE_KSM_BUFFER_THRESHOLD moves the threshold; a value that is not a byte count is said once and the default used', () => {
    const results = placements({ mode: true, env: { NODE_KSM_BUFFER_THRESHOLD: '65536' } });
    expect(results['Buffer.from(string) 6144'].placed).toBe(0);
    expect(results['Buffer.from(string) 65536'].placed).toBe(1);
    expect(results['Buffer.alloc 2097157'].marked).toBe(true);
    const stats = 'console.log(require("node-ksm").transparentModeStats().threshold)';
    for (const bad of ['4k', '-1', '0', '1e3', ' 5']) {
      const result = node(['-e', stats], { mode: true, env: { NODE_KSM_BUFFER_THRESHOLD: bad } });
      expect(result.stdout).toBe('4096\n');
      expect(result.stderr).toBe(`node-ksm: NODE_KSM_BUFFER_THRESHOLD=${JSON.stringify(bad)} is not a whole number of bytes ` +
        'from 1 to buffer.constants.MAX_LENGTH: using 4096\n');
    }
  }, 60_000);

  it('works as Node does where the app replaced Array\'s and Map\'s iterators (Node\'s own functions do not use them)', () => {
    // As Node's test-require-delete-array-iterator and test-worker-terminate-source-map do.
    const code = `
      const fs = require('node:fs');
      const ArrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
      const saved = [Array.prototype[Symbol.iterator], ArrayIterator.next, Map.prototype[Symbol.iterator]];
      delete Array.prototype[Symbol.iterator];
      delete ArrayIterator.next;
      Map.prototype[Symbol.iterator] = () => { throw new Error('iterated'); };
      const made = [Buffer.allocUnsafe(8192), Buffer.allocUnsafeSlow(8192), Buffer.alloc(8192, 1), Buffer.from('x'.repeat(8192)),
        Buffer.from('y'.repeat(8192), 'latin1'), Buffer.concat([Buffer.alloc(5000), Buffer.alloc(5000)]),
        fs.readFileSync(process.execPath).subarray(0, 8192)];
      Array.prototype[Symbol.iterator] = saved[0];
      ArrayIterator.next = saved[1];
      Map.prototype[Symbol.iterator] = saved[2];
      console.log(made.map((b) => b.length).join(' '));`;
    const plain = node(['-e', code]);
    const mode = node(['-e', code], { mode: true });
    expect([mode.stderr, mode.stdout]).toEqual([plain.stderr, plain.stdout]);
    expect(mode.stdout).toBe('8192 8192 8192 8192 8192 10000 8192\n');
  });

  it('on a host that cannot merge, warns once and the app runs on Node\'s own Buffers', () => {
    const result = node(['-e', `Object.defineProperty(process, 'platform', { value: 'darwin' });
      require('node-ksm/register');
      const { transparentModeStats } = require('node-ksm');
      console.log(Buffer.from('x'.repeat(9000)).length, transparentModeStats().enabled, Buffer.alloc.name)`],
    { env: { NODE_KSM_MERGE: 'buffers' } });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('9000 false alloc\n');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^node-ksm: NODE_KSM_MERGE=buffers, but Buffers stay Node's own: KSM is not available/);
  });

  it('the preload hook turns it on in worker threads too, each with its own tallies', () => {
    const result = node(['-e', `
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const { inspect, transparentModeStats } = require('node-ksm');
        const copy = Buffer.from('w'.repeat(5000));
        parentPort.postMessage({ placed: transparentModeStats().placed, marked: inspect(copy).marked });
      \`, { eval: true });
      worker.once('message', (message) => console.log(JSON.stringify(message)));`], { mode: true });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ placed: { buffers: 1, bytes: 5000 }, marked: true });
  });

  it('ksm run --buffers turns it on in node commands, also when started through a shell', () => {
    const code = 'const { length } = Buffer.from("y".repeat(5000)); ' +
      'console.log(require("node-ksm").transparentModeStats().placed.buffers > 0 ? "placed" : "plain", length)';
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'run', ...args], { cwd: packageRoot, encoding: 'utf8',
      env: { ...process.env, NODE_KSM_MERGE: undefined, NODE_KSM_PLACEMENT: 'always' } });
    expect(run(['--buffers', '--', process.execPath, '-e', code]).stdout).toBe('placed 5000\n');
    expect(run(['--buffers', 'sh', '-c', `"${process.execPath}" -e '${code}'`]).stdout).toBe('placed 5000\n');
    const wrong = run(['--buffer', 'true']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toBe('ksm: unknown option "--buffer"\nUsage: ksm run [--buffers] [--] COMMAND [ARGS...]\n');
  });

  it('when the allocator cannot map memory, Node allocates as usual and the mode counts it as a fallback', () => {
    // Address space limited after start-up to less than one more arena (64 MiB): the
    // allocator's next arena cannot be mapped, while Node still has room to run.
    const result = node(['-e', `
      const { execFileSync } = require('node:child_process');
      const { transparentModeStats } = require('node-ksm');
      const vsz = Number(require('node:fs').readFileSync('/proc/self/statm', 'utf8').split(' ')[0]) * 4096;
      execFileSync('prlimit', ['--pid', String(process.pid), '--as=' + (vsz + 62 * 2 ** 20)]);
      const copy = Buffer.from('z'.repeat(6000));
      const { placed, left } = transparentModeStats();
      console.log(JSON.stringify({ ok: copy.equals(Buffer.alloc(6000, 'z')), placed: placed.buffers, fallback: left.fallback }));`],
    // One malloc arena: glibc would reserve 64 MiB for each thread's own.
    { mode: true, env: { MALLOC_ARENA_MAX: '1' } });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, placed: 0, fallback: { buffers: 1, bytes: 6000 } });
  });
});

describe.skipIf(!linux)('enableTransparentMode() and disableTransparentMode()', () => {
  it('wraps Buffer\'s factories, counts what it places, and gives Node\'s own back', () => {
    const node = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow, from: Buffer.from };
    try {
      enableTransparentMode({ threshold: 8192, placement: 'always' });
      expect(Buffer.alloc).not.toBe(node.alloc);
      const before = transparentModeStats();
      expect(before).toMatchObject({ enabled: true, threshold: 8192 });
      const big = Buffer.allocUnsafeSlow(8192);
      const small = Buffer.allocUnsafeSlow(8191);
      const after = transparentModeStats();
      expect(after.placed).toEqual({ buffers: before.placed.buffers + 1, bytes: before.placed.bytes + 8192 });
      expect(after.left.belowThreshold).toEqual({ buffers: before.left.belowThreshold.buffers + 1,
        bytes: before.left.belowThreshold.bytes + 8191 });
      expect([big.length, small.length]).toEqual([8192, 8191]);
    } finally {
      disableTransparentMode();
    }
    expect({ alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow, from: Buffer.from })
      .toEqual(node);
    expect(transparentModeStats().enabled).toBe(false);
    disableTransparentMode(); // a second call changes nothing
    expect(Buffer.from).toBe(node.from);
  });

  it('registerKsmMetrics adds counters of what it placed and left, equal to transparentModeStats()', async () => {
    const { Registry } = await import('prom-client');
    const { registerKsmMetrics } = await import('../../lib/metrics.js');
    const without = new Registry();
    registerKsmMetrics(without);
    expect((await without.getMetricsAsJSON()).filter((m) => m.name.includes('transparent'))).toEqual([]);
    try {
      enableTransparentMode({ placement: 'always' });
      const registry = new Registry();
      registerKsmMetrics(registry, { prefix: 'k_' });
      const kept = [Buffer.from('m'.repeat(70_000)), Buffer.alloc(10), Buffer.from(new String('s'.repeat(5000)))];
      const metrics = await registry.getMetricsAsJSON();
      const { placed, left } = transparentModeStats();
      const value = (name: string, reason?: string) =>
        metrics.find((m) => m.name === name)?.values.find((v) => v.labels.reason === reason)?.value;
      expect({
        placed: { buffers: value('k_transparent_placed_buffers_total'), bytes: value('k_transparent_placed_bytes_total') },
        ...Object.fromEntries(Object.keys(left).map((reason) => [reason, {
          buffers: value('k_transparent_left_buffers_total', reason), bytes: value('k_transparent_left_bytes_total', reason),
        }])),
      }).toEqual({ placed, ...left });
      expect(placed.buffers).toBeGreaterThanOrEqual(1);
      expect(left.otherArguments.bytes).toBeGreaterThanOrEqual(5000);
      // Per class, what the mode decided: placement 'always' places every class.
      const placing = metrics.find((m) => m.name === 'k_transparent_class_placing')?.values ?? [];
      expect(placing.map((v) => `${String(v.labels.pages)}:${String(v.labels.reason)}=${v.value}`)).toEqual(
        ['1', '2', '3-4', '5-8', '9-16', '17-32', '33-64', '65-128', '129-256', '257+'].map((pages) => `${pages}:always=1`));
      expect(metrics.find((m) => m.name === 'k_transparent_class_merged_ratio')?.values).toEqual([]); // nothing sampled
      expect(kept).toHaveLength(3);
    } finally {
      disableTransparentMode();
    }
  });

  it('after disable nothing is placed, also through a wrapper of the mode an app kept and put back', () => {
    const nodeAlloc = Buffer.alloc;
    try {
      enableTransparentMode({ placement: 'always' });
      const modes = Buffer.alloc;
      const appWrapper = function alloc(...args: Parameters<typeof Buffer.alloc>) { return modes(...args); };
      Buffer.alloc = appWrapper as typeof Buffer.alloc; // an app (or a tool) wraps it...
      disableTransparentMode(); // ...so disable leaves the app's wrapper in place
      Buffer.alloc = modes; // the app puts back what it found: the mode's function
      enableTransparentMode({ placement: 'always' });
      disableTransparentMode();
      const placedBefore = transparentModeStats().placed.buffers;
      const buffers = [Buffer.alloc(8192), modes(8192), appWrapper(8192)];
      expect(buffers.map((buffer) => inspect(buffer).marked)).toEqual([false, false, false]);
      expect(transparentModeStats()).toMatchObject({ enabled: false, placed: { buffers: placedBefore } });
      // Enabled again, the mode wraps Node's own function, not its retired wrapper, and gives it back.
      enableTransparentMode({ placement: 'always' });
      disableTransparentMode();
      expect(Buffer.alloc).toBe(nodeAlloc);
    } finally {
      Buffer.alloc = nodeAlloc;
    }
    expect(inspect(Buffer.alloc(8192)).marked).toBe(false);
  });

  it('process.memoryUsage(): external counts placed Buffers, arrayBuffers leaves them out, as the README and docs/api.md say', () => {
    try {
      enableTransparentMode({ placement: 'always' });
      globalThis.gc?.();
      const before = process.memoryUsage();
      const placed = Array.from({ length: 10 }, () => Buffer.alloc(1024 * 1024, 1));
      const after = process.memoryUsage();
      expect(placed.every((buffer) => inspect(buffer).marked)).toBe(true);
      expect(after.external - before.external).toBeGreaterThan(9 * 1024 * 1024); // (less what was freed meanwhile)
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(1024 * 1024);
    } finally {
      disableTransparentMode();
    }
    for (const doc of ['README.md', 'docs/api.md']) {
      const text = fs.readFileSync(path.join(packageRoot, doc), 'utf8');
      const section = text.slice(text.search(/^## (The preload hook and )?[Tt]ransparent mode/m)).split(/^## /m)[1];
      expect(section, doc).toContain('process.memoryUsage().arrayBuffers');
    }
  });

  it('rejects bad options with typed, coded errors and changes nothing', () => {
    const from = Buffer.from;
    expect(() => enableTransparentMode('4096' as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => enableTransparentMode({ threshold: 0 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => enableTransparentMode({ threshold: 1.5 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => enableTransparentMode({ threshold: '1' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => enableTransparentMode({ placement: 'sometimes' as never })).toThrow(expect.objectContaining({
      name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE',
      message: "The property 'options.placement' must be one of: 'adaptive', 'always'. Received 'sometimes'" }));
    expect(Buffer.from).toBe(from);
    expect(transparentModeStats().enabled).toBe(false);
  });
});
