import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { mergeableFrom, waitForMerge } from '../../lib/index.js';
import { packageRoot } from '../helpers/child.js';
import { ksmdKey, ksmdUnavailable, readKsmFile, waitUntil, withKsmd } from '../helpers/ksmd.js';
import { noProcessMergeCount, rawProcessStats } from '../helpers/kernel.js';
import { fixture } from '../helpers/paths.js';
import { KSM_SYSFS, hasKsm, linux, root } from '../helpers/platform.js';

const BIN = path.join(packageRoot, 'bin', 'ksm.js');

const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };

function ksm(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// What must never reach a terminal from other users' command lines (LF ends lines, so it is allowed).
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
// An argv as a hostile user would write it: a title change (OSC 0), a screen clear, a clipboard
// write (OSC 52), an 8-bit CSI, a right-to-left override and isolates, and a plain accent.
const HOSTILE = ['\x1b]0;pwned\x07', '\x1b[2J', '\x1b]52;c;ZXZpbA==\x07', '\u009b31m', '\u202etxt.exe', '\u2066x\u2069', 'café'];
const HOSTILE_SHOWN = '\\x1b]0;pwned\\x07 \\x1b[2J \\x1b]52;c;ZXZpbA==\\x07 \\x9b31m \\u202etxt.exe \\u2066x\\u2069 café';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A node process holding the fixture, with these arguments; resolves once it prints "ready". */
async function holding(args: string[]): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [fixture('hold-copies.cjs'), ...args], { cwd: packageRoot });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`hold-copies.cjs exited with ${code}`)));
  });
  return child;
}

/** A stand-in for a terminal's stdout: what was written, and its width; emits 'resize'. */
function fakeTerminal(columns: number, rows = 24) {
  const out = Object.assign(new EventEmitter(), { isTTY: true, columns, rows, text: '',
    write(chunk: string) {
      out.text += chunk;
      return true;
    } });
  return out;
}

/** The rows a terminal shows for what was written: escape sequences (CSI) dropped, split at CR and LF. */
const visibleRows = (text: string) => text.replace(/\x1b\[[\d;]*[A-Za-z]/g, '\n').split(/[\r\n]/);

describe('the ksm command line', () => {
  it.each([['bogus'], ['status', '--bogus'], ['status', 'extra'], ['watch', '--interval', 'soon'], ['ksmd'],
    ['ksmd', 'launch'], ['ksmd', 'set'], ['ksmd', 'set', 'pages_to_scan'], ['ksmd', 'start', 'now'], ['run']])(
    '%j exits 2 with a usage line', (...args) => {
      const result = ksm(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^ksm: .+\nUsage: ksm /);
      expect(result.stdout).toBe('');
    });

  it.each([
    [['status', '--pid', 'abc'], '--pid'], [['status', '--pid', '0'], '--pid'], [['status', '-p', '12x'], '--pid'],
    [['status', '--pid'], '--pid'], [['watch', '--count', '0'], '--count'], [['watch', '--count', '2.5'], '--count'],
    [['watch', '--count=-1'], '--count'],
  ])('%j exits 2 with a usage error naming %s', (args, option) => {
    const result = ksm(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^ksm: .*${option}.*\nUsage: ksm ${args[0]} `));
    expect(result.stdout).toBe('');
  });

  it.each([['--help'], ['status', '--help'], ['watch', '--help'], ['ksmd', '--help'], ['run', '--help']])(
    '%j prints help, no control character in it, and exits 0', (...args) => {
      const result = ksm(...args);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: ksm /);
      expect(result.stdout).not.toMatch(UNSAFE);
    });

  it('with no command prints the help (the commands and the usage line) and exits 2, a usage error', () => {
    const result = ksm();
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/^Usage: ksm <status\|watch\|estimate\|ksmd\|run> /);
    expect(result.stdout).toBe(ksm('--help').stdout);
    expect(result.stderr).toBe('');
  });

  it.each([['--version'], ['-V']])('%s prints the version of package.json and exits 0', (flag) => {
    expect(ksm(flag)).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    expect(ksm('--help').stdout).toMatch(/^ {2}-V, --version +/m);
  });
});

describe.skipIf(!hasKsm)('ksm status --pid', () => {
  it('prints a process whose argv holds escape sequences with every control character escaped', async () => {
    const child = await holding(HOSTILE);
    const result = spawnSync(process.execPath, [BIN, 'status', '--pid', String(child.pid)], { cwd: packageRoot });
    expect(result.status).toBe(0);
    const stdout = result.stdout.toString('utf8');
    expect(stdout).not.toMatch(UNSAFE); // asserted on the bytes decoded as a terminal would
    expect(result.stdout.includes(0x1b)).toBe(false);
    expect(stdout).toContain(`${fixture('hold-copies.cjs')} ${HOSTILE_SHOWN}`);
  });

  it('--json keeps the command line as the process has it (JSON escapes its controls), with RSS and PSS in bytes', async () => {
    const child = await holding(HOSTILE);
    const result = ksm('status', '--json', '--pid', String(child.pid), '--pid', String(process.pid), '--pid', String(child.pid));
    expect(result.status).toBe(0);
    expect(result.stdout).not.toMatch(UNSAFE); // the 8-bit CSI and the bidi marks too, which JSON.stringify leaves raw
    expect(result.stdout).toContain('\\u009b31m \\u202etxt.exe');
    const { processes, unreadable } = JSON.parse(result.stdout);
    expect(unreadable).toEqual([]);
    expect(processes.map((p: { pid: number }) => p.pid).sort()).toEqual([process.pid, child.pid].sort());
    const held = processes.find((p: { pid: number }) => p.pid === child.pid);
    expect(held.command).toBe([process.execPath, fixture('hold-copies.cjs'), ...HOSTILE].join(' '));
    // Shown though nothing merged: --pid shows the processes asked for.
    if (!noProcessMergeCount) expect(held.mergingPages).toBeGreaterThanOrEqual(0);
    if (fs.existsSync('/proc/self/smaps_rollup')) { // Linux 4.14+
      const rollup = fs.readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8');
      const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1]) * 1024;
      expect(held.rssBytes).toBeGreaterThan(0);
      expect(held.pssBytes).toBeGreaterThan(0);
      expect(held.pssBytes).toBeLessThanOrEqual(held.rssBytes);
      // The child is idle: its memory stays within a few pages between the two reads.
      expect(Math.abs(held.rssBytes - kib('Rss'))).toBeLessThan(2 * 2 ** 20);
    }
  });

  it('a process that does not exist is an error (exit 1) naming its pid', () => {
    const result = ksm('status', '--pid', String(process.pid), '--pid', String(2 ** 31 - 1));
    expect(result).toEqual({ status: 1, stdout: '', stderr: `ksm: ESRCH: no process with pid ${2 ** 31 - 1}\n` });
  });

  it('shows RSS and PSS columns, COMMAND last', () => {
    const result = ksm('status', '--pid', String(process.pid));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ *PID +MERGING PAGES +PROFIT +RSS +PSS +COMMAND\n/m);
    const row = result.stdout.split('\n').find((line) => line.trimStart().startsWith(`${process.pid} `));
    // ... RSS, PSS, then the command line (this process: node).
    expect(row).toMatch(/ \d+(\.\d)? [KMG]iB +\d+(\.\d)? [KMG]iB +\S*node/);
  });

  const noUnreadableTest = !root ? 'skipped: needs root, to run ksm as nobody beside processes it cannot read'
    : noProcessMergeCount;
  it.skipIf(noUnreadableTest)(`as another user, counts the processes it may not read in a note and in --json${noUnreadableTest ? ` (${noUnreadableTest})` : ''}`, () => {
    const asNobody = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args],
      { cwd: packageRoot, encoding: 'utf8', uid: 65534, gid: 65534, timeout: 30_000 });
    const json = asNobody('status', '--json');
    expect(json.status).toBe(0);
    const { unreadable } = JSON.parse(json.stdout) as { unreadable: { pid: number; code: string }[] };
    expect(unreadable).toContainEqual({ pid: process.pid, code: 'EACCES' }); // this test runs as root
    expect(unreadable.map(({ pid }) => pid)).toEqual([...unreadable.map(({ pid }) => pid)].sort((a, b) => a - b));
    for (const { pid } of unreadable) { // no kernel thread: they have no memory to merge
      let flags = 0;
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
      } catch { /* gone since */ }
      expect([pid, flags & 0x00200000]).toEqual([pid, 0]);
    }
    const text = asNobody('status');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^\d+ process(es)? could not be read \(not yours\): run as root to see (it|them)$/m);
    const denied = asNobody('status', '--pid', String(process.pid));
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/^ksm: EACCES: permission denied, open '\/proc\/\d+\/ksm/);
  });
});

describe.skipIf(!hasKsm)('ksm watch --json and --count', () => {
  it('--json --count 3 prints three lines, each one JSON object: time, system, delta', () => {
    const result = ksm('watch', '--json', '--count', '3', '--interval', '0.1');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3);
    const ticks = lines.map((line) => JSON.parse(line));
    for (const tick of ticks) {
      expect(Object.keys(tick)).toEqual(['time', 'system', 'delta']);
      expect(new Date(tick.time).toISOString()).toBe(tick.time);
      expect(tick.system.pagesSharing).toBeTypeOf('number');
      expect(Object.keys(tick.delta).sort()).toEqual(['fullScans', 'generalProfit', 'pagesShared', 'pagesSharing',
        'pagesUnshared', 'pagesVolatile', 'savedBytes']);
    }
    expect(Date.parse(ticks[2].time)).toBeGreaterThan(Date.parse(ticks[0].time));
    expect(ticks[0].delta.fullScans).toBe(0);
    expect(ticks[2].system.fullScans - ticks[1].system.fullScans).toBe(ticks[2].delta.fullScans);
  });

  it('--count ends plain (piped) output too', () => {
    const result = ksm('watch', '--count', '2', '--interval', '0.1');
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('--json on a terminal is still one JSON object a line, with no escape sequence', async () => {
    const out = fakeTerminal(80);
    const err = fakeTerminal(80);
    const code = await main(['watch', '--json', '--count', '2', '--interval', '0.1'],
      { out: out as unknown as NodeJS.WriteStream, err: err as unknown as NodeJS.WriteStream });
    expect(code).toBe(0);
    expect(out.text).not.toContain('\x1b');
    expect(out.text.trim().split('\n').map((line) => Object.keys(JSON.parse(line)))).toEqual([['time', 'system', 'delta'],
      ['time', 'system', 'delta']]);
  });

  it('on an 80-column terminal every row fits, each redraw goes back over the last frame, and a resize refits it', async () => {
    const out = fakeTerminal(80);
    const widths: number[] = [];
    // Narrow the terminal after the second frame, as a user dragging its window would.
    const write = out.write.bind(out);
    let frames = 0;
    out.write = (chunk: string) => {
      write(chunk);
      widths.push(out.columns);
      if (++frames === 2) {
        out.columns = 40;
        out.emit('resize');
      }
      return true;
    };
    const code = await main(['watch', '--count', '4', '--interval', '0.1'],
      { out: out as unknown as NodeJS.WriteStream, err: out as unknown as NodeJS.WriteStream });
    expect(code).toBe(0);
    const [first, ...redraws] = out.text.split(/(?=\x1b\[\d+F|\x1b\[H)/);
    expect(visibleRows(first).filter(Boolean).length).toBeGreaterThanOrEqual(6);
    for (const row of visibleRows(first)) expect(row.length).toBeLessThanOrEqual(80);
    const wide = (frame: string) => Math.max(...visibleRows(frame).map((row) => [...row].length));
    expect(wide(first)).toBeGreaterThan(40); // the frame uses the width it has
    const drawnRows = visibleRows(first).filter(Boolean).length;
    expect(redraws[0].startsWith(`\x1b[${drawnRows}F`)).toBe(true);
    const afterResize = out.text.slice(out.text.indexOf('\x1b[H\x1b[2J'));
    expect(afterResize).not.toBe(out.text);
    for (const row of visibleRows(afterResize)) expect([...row].length).toBeLessThanOrEqual(40);
    expect(out.text).toMatch(/saved over time: [▁-█]+ /);
  });
});

describe.skipIf(!linux || ksmdUnavailable)('ksm status', () => {
  it('--json gives the kernel\'s numbers, and lists this process with its merged pages', async () => {
    const data = Buffer.alloc(64 * 4096, 'status ');
    const copies = [mergeableFrom(data), mergeableFrom(data)];
    await withKsmd(() => waitForMerge(copies[0], { timeout: 20_000 }));
    await withKsmd(() => {
      const result = ksm('status', '--json');
      expect(result.status).toBe(0);
      const { system, processes } = JSON.parse(result.stdout);
      for (const file of fs.readdirSync(KSM_SYSFS)) { // the files this kernel has
        const text = readKsmFile(file);
        expect([file, system[ksmdKey(file)]]).toEqual([file, /\[(.+)\]/.exec(text)?.[1] ?? Number(text)]);
      }
      const self = processes.find((p: { pid: number }) => p.pid === process.pid);
      const raw = rawProcessStats();
      if (raw.mergingPages === undefined) { // a kernel that reports no merged pages per process (before 5.19)
        expect(processes).toEqual([]);
        return;
      }
      expect(self).toMatchObject({ mergingPages: raw.mergingPages, ...(raw.profitBytes === undefined ? {} : { profitBytes: raw.profitBytes }) });
      expect(self.command).toContain('node');
      const merging = processes.map((p: { mergingPages: number }) => p.mergingPages);
      expect(merging).toEqual([...merging].sort((a, b) => b - a));
    }, { run: 0 });
  });

  it('prints the figures and a table of processes', () => {
    const result = ksm('status');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ksmd: +(stopped|running).*full scans\nsaved: .*general profit.*\nsharing: .*ratio/m);
    expect(result.stdout).toMatch(/PID +MERGING PAGES +PROFIT +RSS +PSS +COMMAND|No process has merged pages/);
  });

  it.skipIf(noProcessMergeCount)(`lists a process with merged pages whose argv holds escape sequences, every control character escaped${noProcessMergeCount ? ` (${noProcessMergeCount})` : ''}`, async () => {
    const child = await holding(HOSTILE);
    await withKsmd(async () => {
      expect(await waitUntil(() => (rawProcessStats(child.pid as number).mergingPages ?? 0) > 0, 20_000)).toBe(true);
      const result = spawnSync(process.execPath, [BIN, 'status'], { cwd: packageRoot });
      expect(result.status).toBe(0);
      const stdout = result.stdout.toString('utf8');
      expect(stdout).not.toMatch(UNSAFE);
      const row = stdout.split('\n').find((line) => line.trimStart().startsWith(`${child.pid} `));
      expect(row).toContain(`${fixture('hold-copies.cjs')} ${HOSTILE_SHOWN}`);
      const { processes } = JSON.parse(ksm('status', '--json').stdout);
      const held = processes.find((p: { pid: number }) => p.pid === child.pid);
      expect(held.mergingPages).toBeGreaterThan(0);
      expect(held.pssBytes).toBeLessThanOrEqual(held.rssBytes);
    });
  });
});

describe.skipIf(!linux || ksmdUnavailable)('ksm ksmd and ksm watch', () => {
  it('ksmd set writes settings and prints before -> after; start and stop write run', async () => {
    await withKsmd(() => {
      const result = ksm('ksmd', 'set', 'pages_to_scan=321', 'sleepMillisecs=33');
      expect(result.stdout).toBe('pagesToScan: 5000 -> 321\nsleepMillisecs: 10 -> 33\n');
      expect(readKsmFile('pages_to_scan')).toBe('321');
      expect(ksm('ksmd', 'stop').status).toBe(0);
      expect(readKsmFile('run')).toBe('0');
      expect(ksm('ksmd', 'start').status).toBe(0);
      expect(readKsmFile('run')).toBe('1');
      const bad = ksm('ksmd', 'set', 'pages_to_scan=-5');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/out of range/);
      expect(readKsmFile('pages_to_scan')).toBe('321');
    });
  });

  it('watch prints plain lines when not on a terminal and ends cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'watch', '--interval', '0.1'], { cwd: packageRoot });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.split('\n').length > 3) child.kill('SIGINT');
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT.* saved=.* pages_sharing=\d+ \([+-]\d+\) .*full_scans=\d+/);
  });
});
