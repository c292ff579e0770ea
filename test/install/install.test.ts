// The packed tarball installed into empty projects as users install it: normally, on a machine
// with no C++ compiler, and with install scripts skipped. The last two must not fail the install.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot, runNodeJson } from '../helpers/child.js';

const linux = process.platform === 'linux';
let work: string;
let tarball: string;

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** An empty project with the tarball installed by `npm install ...flags`; its directory and npm's result. */
function installInto(name: string, flags: string[], env: NodeJS.ProcessEnv = process.env) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `probe-${name}`, private: true }));
  // The dependencies come from npm's cache, filled by this repo's own install, where they are.
  const result = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...flags, tarball], { cwd: dir, env });
  return { dir, ...result };
}

/** A directory of links to everything on PATH but C and C++ compilers: a machine without a toolchain. */
function pathWithoutCompilers(): string {
  const bin = path.join(work, 'bin-without-compilers');
  fs.mkdirSync(bin);
  const compiler = /^(cc|c\+\+|g\+\+|gcc|clang|clang\+\+|cpp)(-[\d.]+)?$|-(gcc|g\+\+|cc|c\+\+)(-[\d.]+)?$/;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const link = path.join(bin, name);
      if (!compiler.test(name) && !fs.existsSync(link)) fs.symlinkSync(path.join(dir, name), link);
    }
  }
  return bin;
}

interface Probe {
  supported: boolean;
  reasons: string[];
  pagesSharing: unknown;
  esmSupported: boolean;
}
const probe = `
  const ksm = require('node-ksm');
  import('node-ksm').then((esm) => console.log(JSON.stringify({
    supported: ksm.capabilities().supported,
    reasons: ksm.capabilities().reasons,
    pagesSharing: ksm.systemStats().pagesSharing,
    esmSupported: esm.capabilities().supported,
  })));`;

/** The installed package's CLI, run as a user runs it. */
function cliStatus(dir: string) {
  return run(process.execPath, [path.join(dir, 'node_modules', '.bin', 'ksm'), 'status'], { cwd: dir });
}

describe.skipIf(!linux)('installing the packed tarball', () => {
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-install-'));
    const packed = run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: packageRoot });
    expect(packed.status, packed.stderr).toBe(0);
    tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  });
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('builds with the node-gyp npm provides, installs no node-gyp of its own, and KSM is supported', () => {
    const install = installInto('normal', ['--foreground-scripts']);
    expect(install.status, install.stderr).toBe(0);
    const npmNodeGyp = run('npm', ['config', 'get', 'node-gyp']).stdout.trim();
    expect(npmNodeGyp).toMatch(/node-gyp/);
    expect(install.stdout).toContain(`node-ksm: building the native addon with ${npmNodeGyp}`);
    expect(fs.existsSync(path.join(install.dir, 'node_modules', 'node-ksm', 'build', 'Release', 'ksm.node'))).toBe(true);
    expect(fs.existsSync(path.join(install.dir, 'node_modules', 'node-gyp'))).toBe(false);
    const listed = run('npm', ['ls', '--all', '--parseable'], { cwd: install.dir }).stdout;
    expect(listed).not.toMatch(/node-gyp/);
    expect(listed).toMatch(/node_modules\/bindings/);

    const report = runNodeJson<Probe>(probe, { cwd: install.dir });
    expect(report).toMatchObject({ supported: true, reasons: expect.any(Array), esmSupported: true });
    expect(typeof report.pagesSharing).toBe('number');
  });

  it('succeeds without a C++ compiler; KSM is unsupported with a reason that names the fix', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutCompilers() };
    delete env.CXX;
    const install = installInto('no-compiler', [], env);
    expect(install.status, install.stderr).toBe(0);
    expect(fs.existsSync(path.join(install.dir, 'node_modules', 'node-ksm', 'build', 'Release', 'ksm.node'))).toBe(false);

    const report = runNodeJson<Probe>(probe, { cwd: install.dir });
    expect(report.supported).toBe(false);
    expect(report.esmSupported).toBe(false);
    const reason = report.reasons.find((r) => r.includes('native addon'));
    expect(reason).toMatch(/missing a C\+\+ compiler \(g\+\+, c\+\+ or clang\+\+ on PATH\)/);
    expect(reason).toMatch(/apt-get install python3 make g\+\+/);
    expect(reason).toMatch(/npm rebuild node-ksm/);
    expect(typeof report.pagesSharing).toBe('number');
    const status = cliStatus(install.dir);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^ksmd: /m);
  });

  it('succeeds when the compile fails; the reason points at the kept build log', () => {
    const install = installInto('failed-build', [], { ...process.env, CXX: 'false' });
    expect(install.status, install.stderr).toBe(0);
    const log = path.join(install.dir, 'node_modules', 'node-ksm', 'build', 'install.log');
    expect(fs.readFileSync(log, 'utf8')).toMatch(/gyp ERR!/);
    const report = runNodeJson<Probe>(probe, { cwd: install.dir });
    expect(report.supported).toBe(false);
    expect(report.reasons.find((r) => r.includes('native addon')))
      .toBe(`the native addon was not built when node-ksm was installed: the build failed (node-gyp exit 1; its output is in ${log}); fix what that log names, then run "npm rebuild node-ksm"`);
  });

  it('succeeds with install scripts skipped; the reason says so and how to allow them', () => {
    const install = installInto('ignore-scripts', ['--ignore-scripts']);
    expect(install.status, install.stderr).toBe(0);

    const report = runNodeJson<Probe>(probe, { cwd: install.dir });
    expect(report.supported).toBe(false);
    const reason = report.reasons.find((r) => r.includes('native addon'));
    expect(reason).toMatch(/install script did not run/);
    for (const fix of ['npm approve-scripts node-ksm', 'allowScripts', 'pnpm approve-builds', 'trustedDependencies', 'npm rebuild node-ksm']) {
      expect(reason).toContain(fix);
    }
    expect(reason).not.toMatch(/Tried:/);
    expect(typeof report.pagesSharing).toBe('number');
    const status = cliStatus(install.dir);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^ksmd: /m);
  });

  it('this repo sets no npm config that changes npm\'s output (json mode made npm install print JSON)', () => {
    const json = run('npm', ['config', 'get', 'json'], { cwd: packageRoot });
    expect(json.stdout.trim()).toBe('false');
    expect(fs.existsSync(path.join(packageRoot, '.npmrc'))).toBe(false);
  });

  it('fails in a checkout of this repo (not under node_modules), so its own CI cannot pass without the addon', () => {
    const checkout = path.join(work, 'checkout');
    for (const part of ['package.json', 'binding.gyp', 'native', 'scripts']) {
      fs.cpSync(path.join(packageRoot, part), path.join(checkout, part), { recursive: true });
    }
    fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(checkout, 'node_modules'));
    const build = run(process.execPath, ['scripts/install.js'], { cwd: checkout, env: { ...process.env, CXX: 'false' } });
    expect(build.status).toBe(1);
    expect(build.stderr).toMatch(/node-ksm: warning: the native addon was not built .* then run "npm install"/);
  });
});
