// `ksm estimate` as operators run it: text, --json, bad and unknown pids, progress on a terminal.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Estimate } from '../../lib/index.js';
import { endChild, lineFrom, packageRoot, runNode } from '../helpers/child.js';
import { formatBytes } from '../../lib/cli/format.js';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { fixture } from '../helpers/paths.js';
import { linux } from '../helpers/platform.js';

const BIN = path.join(packageRoot, 'bin', 'ksm.js');

function ksm(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(!linux)('ksm estimate', () => {
  let child: ChildProcessWithoutNullStreams;
  beforeAll(async () => {
    child = spawn(process.execPath, [fixture('estimate-pages.cjs'), '200', '96'], { cwd: packageRoot });
    await lineFrom(child, 'ready');
  });
  afterAll(() => endChild(child));

  it('prints the predictions and a row for the process; no progress when stderr is not a terminal', () => {
    const { status, stdout, stderr } = ksm('estimate', '--pid', String(child.pid));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Read 1 of 1 processes: /);
    expect(stdout).toMatch(new RegExp(`^ {2}as marked now \\(mergeable mappings\\) +${formatBytes(199 * PAGE_SIZE).replace('.', '\\.')} +pages_sharing 199\\b`, 'm'));
    expect(stdout).toMatch(new RegExp(`^ *${child.pid} +[\\d,]+ +[\\d,]+ .*mergeable 200.* .*estimate-pages\\.cjs 200 96$`, 'm'));
  });

  it('--json prints estimate()\'s result', () => {
    const { status, stdout } = ksm('estimate', '--json', '-p', String(child.pid));
    expect(status).toBe(0);
    const result = JSON.parse(stdout) as Estimate;
    expect(result.processes).toHaveLength(1);
    expect(result.processes[0]).toMatchObject({ pid: child.pid, state: 'scanned' });
    expect(result.processes[0].pages).toBeGreaterThan(96 * 256);
    expect(result.saving.asMarked.pagesSharing).toBe(199);
  });

  it('refuses a pid that is no process (exit 1) and one that is no number (exit 2)', () => {
    expect(ksm('estimate', '--pid', '2147483647')).toMatchObject({ status: 1, stdout: '',
      stderr: 'ksm: ESRCH: no process with pid 2147483647\n' });
    const bad = ksm('estimate', '--pid', 'x1');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--pid must be a process id');
    expect(ksm('estimate', 'extra').status).toBe(2);
  });

  it('Ctrl-C stops the scan: exit 130, nothing printed, no stack trace', () => {
    // ksm's main, interrupted by a real SIGINT as soon as the scan has begun.
    const code = `
      const { main } = require('./dist/cli/main.js');
      const done = main(['estimate', '--pid', '${child.pid}']);
      process.kill(process.pid, 'SIGINT');
      done.then((status) => console.log('exit ' + status));`;
    const { status, stdout, stderr } = runNode(code);
    expect(stderr).toBe('');
    expect({ status, stdout }).toEqual({ status: 0, stdout: 'exit 130\n' });
  });

  const python = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' });
  const noPty = python.status === 0 ? undefined : 'skipped: needs python3 (its pty module) to give ksm a terminal';
  it.skipIf(noPty)(`on a terminal, shows progress on stderr and clears it${noPty ? ` (${noPty})` : ''}`, () => {
    const script = String.raw`
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
`;
    const result = spawnSync('python3', ['-c', script, process.execPath, BIN, 'estimate', '--pid', String(child.pid)],
      { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 });
    expect(result.stdout).toContain(`\r\x1b[Kreading 1/1 (pid ${child.pid}): `);
    // The progress line is cleared before the result is printed.
    expect(result.stdout.lastIndexOf('\r\x1b[K')).toBeLessThan(result.stdout.indexOf('Read 1 of 1'));
  });
});
