// `ksm run` and signals, as tini and timeout(1) handle them: every signal meant for the command
// reaches it once, ksm outlives them all, and its exit status is the command's.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/child.js';
import { noProcessMerge } from '../helpers/kernel.js';
import { fixture } from '../helpers/paths.js';
import { linux } from '../helpers/platform.js';

const BIN = path.join(packageRoot, 'bin', 'ksm.js');
const ECHO = fixture('signal-echo.cjs');
// Without NODE_KSM_MERGE from the environment the test runs in: ksm run sets it.
const env = { ...process.env, NODE_KSM_MERGE: undefined };

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
});

interface Run {
  ksm: ChildProcess;
  /** The command's pid, process group and the terminal's foreground group, from its "ready" line. */
  ready: Promise<{ pid: number; pgrp: number; tpgid: number }>;
  /** Resolves once the command has printed this line; its output so far. */
  printed(line: string): Promise<void>;
  lines(): string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `ksm run ARGS` in a new session and process group, with no terminal: as a supervisor, systemd
 * or docker without -t starts it.
 */
function run(args: string[]): Run {
  const ksm = spawn(process.execPath, [BIN, 'run', ...args], { cwd: packageRoot, env, detached: true,
    stdio: ['ignore', 'pipe', 'pipe'] });
  leftovers.push(ksm.pid as number);
  let output = '';
  const waiting = new Set<() => void>();
  ksm.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const check of [...waiting]) check();
  });
  ksm.stderr?.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
  const lines = () => output.split('\n').filter(Boolean);
  const printed = (line: string) => new Promise<void>((resolve) => {
    const check = () => {
      if (lines().some((seen) => seen === line || seen.startsWith(`${line} `))) {
        waiting.delete(check);
        resolve();
      }
    };
    waiting.add(check);
    check();
  });
  const ready = printed('ready').then(() => {
    const [pid, pgrp, tpgid] = (lines()[0] ?? '').split(' ').slice(1).map(Number);
    leftovers.push(pid);
    return { pid, pgrp, tpgid };
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    ksm.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { ksm, ready, printed, lines, exit };
}

/** The signals of the output, in order: one line each. */
const signalsIn = (lines: string[]) => lines.filter((line) => line.startsWith('SIG'));

describe.skipIf(!linux)('ksm run: signals and exit status', () => {
  it('without a terminal: one SIGINT to ksm\'s group reaches the command once; USR1, USR2, HUP, QUIT and TERM sent to ksm reach it once each; ksm exits with its code', async () => {
    const { ksm, ready, printed, lines, exit } = run(['--buffers', '--', process.execPath, ECHO, 'exit', '42']);
    const child = await ready;
    // The command leads a process group of its own, so ksm's group holds ksm alone.
    expect(child.pgrp).toBe(child.pid);
    expect(child.pgrp).not.toBe(ksm.pid);
    process.kill(-(ksm.pid as number), 'SIGINT');
    await printed('SIGINT');
    for (const signal of ['SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGQUIT'] as const) {
      process.kill(ksm.pid as number, signal);
      await printed(signal);
      expect([signal, ksm.exitCode, ksm.signalCode]).toEqual([signal, null, null]); // ksm lives on
    }
    process.kill(ksm.pid as number, 'SIGTERM');
    expect(await exit).toEqual({ code: 42, signal: null });
    expect(signalsIn(lines())).toEqual(['SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGQUIT', 'SIGTERM']);
  });

  it('a command that a signal ends: ksm exits with 128 + the signal\'s number', async () => {
    const { ksm, ready, exit } = run(['--buffers', '--', process.execPath, ECHO, 'die']);
    await ready;
    process.kill(ksm.pid as number, 'SIGTERM');
    expect(await exit).toEqual({ code: 128 + os.constants.signals.SIGTERM, signal: null });
  });

  it('a command that cannot be executed exits 126 (EACCES, ENOTDIR), one that is not found 127, as shells do', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksm-run-'));
    try {
      const script = path.join(dir, 'not-executable.sh');
      fs.writeFileSync(script, '#!/bin/sh\necho ran\n', { mode: 0o644 });
      const ksm = (command: string) => spawnSync(process.execPath, [BIN, 'run', '--buffers', '--', command],
        { cwd: packageRoot, env, encoding: 'utf8', timeout: 30_000 });
      const denied = ksm(script);
      expect([denied.status, denied.stdout]).toEqual([126, '']);
      expect(denied.stderr).toMatch(/^ksm run: cannot start ".*not-executable\.sh": .*EACCES/);
      const missing = ksm(path.join(dir, 'missing'));
      expect([missing.status, missing.stdout]).toEqual([127, '']);
      expect(missing.stderr).toMatch(/^ksm run: cannot start ".*missing": .*ENOENT/);
      // spawn() throws this one itself, before forking: still a message and 126, not a stack trace.
      const underFile = ksm(path.join(script, 'x'));
      expect([underFile.status, underFile.stdout]).toEqual([126, '']);
      expect(underFile.stderr).toMatch(/^ksm run: cannot start ".*not-executable\.sh\/x": .*ENOTDIR\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(noProcessMerge)(`with process-wide merge (no --buffers) too: a SIGINT to the group arrives once, and the exit code follows${noProcessMerge ? ` (${noProcessMerge})` : ''}`, async () => {
    const { ksm, ready, printed, lines, exit } = run(['--', process.execPath, ECHO, 'exit', '7']);
    await ready;
    process.kill(-(ksm.pid as number), 'SIGINT');
    await printed('SIGINT');
    process.kill(ksm.pid as number, 'SIGTERM');
    expect(await exit).toEqual({ code: 7, signal: null });
    expect(signalsIn(lines())).toEqual(['SIGINT', 'SIGTERM']);
  });

  const python = spawnSync('python3', ['-c', 'import pty, select'], { encoding: 'utf8' });
  const noPty = linux && python.status === 0 ? undefined : 'skipped: needs python3 (its pty module) to give ksm a terminal';
  it.skipIf(noPty)(`on a terminal: Ctrl-C reaches the command once, from the terminal, which keeps it as its foreground job${noPty ? ` (${noPty})` : ''}`, () => {
    // A pseudo-terminal whose session ksm leads; Ctrl-C is typed into it, as a user would.
    const script = String.raw`
import json, os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def read_until(text, timeout=20):
    global out
    deadline = time.time() + timeout
    while text not in out and time.time() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
read_until(b'ready')
os.write(fd, b'\x03')
read_until(b'SIGINT')
time.sleep(0.5)  # time for a second SIGINT, if ksm passed the first on
os.kill(pid, signal.SIGTERM)
read_until(b'SIGTERM')
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print(json.dumps({'output': out.decode('utf8', 'replace'), 'code': code}))
`;
    const result = spawnSync('python3', ['-c', script, process.execPath, BIN, 'run', '--buffers', '--', process.execPath,
      ECHO, 'exit', '42'], { cwd: packageRoot, env, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    const { output, code } = JSON.parse(result.stdout) as { output: string; code: number };
    const lines = output.replace(/\^C/g, '').split(/\r?\n/); // without the terminal's echo of Ctrl-C
    const [, , pgrp, tpgid] = (lines.find((line) => line.startsWith('ready ')) ?? '').split(' ').map(Number);
    expect(pgrp).toBe(tpgid); // the command is the terminal's foreground job: it can read it
    expect(signalsIn(lines)).toEqual(['SIGINT', 'SIGTERM']);
    expect(code).toBe(42);
  });
});
