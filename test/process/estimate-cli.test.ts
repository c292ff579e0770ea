// `ksm estimate` as operators run it: text, --json, bad and unknown pids, progress on a terminal.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Estimate } from '../../lib/index.js';
import { packageRoot } from '../helpers/child.js';
import { fixture } from '../helpers/paths.js';

const BIN = path.join(packageRoot, 'bin', 'ksm.js');
const linux = process.platform === 'linux';

function ksm(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(!linux)('ksm estimate', () => {
  let child: ChildProcessWithoutNullStreams;
  beforeAll(async () => {
    child = spawn(process.execPath, [fixture('estimate-pages.cjs'), '200', '96'], { cwd: packageRoot });
    await new Promise((resolve) => child.stdout.once('data', resolve));
  });
  afterAll(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    await exited;
  });

  it('prints the predictions and a row for the process; no progress when stderr is not a terminal', () => {
    const { status, stdout, stderr } = ksm('estimate', '--pid', String(child.pid));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Read 1 of 1 processes: /);
    expect(stdout).toMatch(/^ {2}as marked now \(mergeable mappings\) +796\.0 KiB +pages_sharing 199$/m);
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
