// The packed tarball installed into empty projects as users install it: with its prebuilt addon
// on machines with no compiler, on each Node users run and on arm64 (under qemu); compiled from
// source when asked or when the prebuild does not load; and with install scripts skipped. None
// of these may fail the install.
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot, runNodeJson } from '../helpers/child.js';
import { linux } from '../helpers/platform.js';

const x64 = process.arch === 'x64';
let work: string;
let tarball: string;

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const began = Date.now();
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr), ms: Date.now() - began };
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

/** `npm rebuild node-ksm` in an installed project: the install script again, as a user reruns it. */
function rebuild(dir: string, env: NodeJS.ProcessEnv = process.env) {
  return run('npm', ['rebuild', 'node-ksm', '--foreground-scripts'], { cwd: dir, env });
}

/**
 * A PATH of one directory holding `node` (this Node, or `nodeBin`), npm and a shell for its
 * scripts, and nothing else: no compiler, make or python, as in a slim or distroless image.
 */
function pathWithNodeOnly(name: string, nodeBin = process.execPath): string {
  const bin = path.join(work, `bin-${name}`);
  fs.mkdirSync(bin);
  fs.symlinkSync(nodeBin, path.join(bin, 'node'));
  fs.symlinkSync(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()), path.join(bin, 'npm'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  return bin;
}

const builtAddon = (dir: string) => path.join(dir, 'node_modules', 'node-ksm', 'build', 'Release', 'ksm.node');
const prebuilt = (dir: string, target = `linux-${process.arch}-glibc`) => path.join(dir, 'node_modules', 'node-ksm', 'prebuilds', target, 'ksm.node');

interface Probe {
  supported: boolean;
  reasons: string[];
  pagesSharing: unknown;
  esmSupported: boolean;
  /** The addon file this process mapped, relative to the installed package. */
  addon?: string;
  markedPages: number;
  allocated: number;
  process: unknown;
}
const probe = `
  const ksm = require('node-ksm');
  import('node-ksm').then((esm) => {
    const supported = ksm.capabilities().supported;
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
    const addon = /\\S*node-ksm\\/(\\S*ksm\\.node)$/m.exec(maps)?.[1];
    console.log(JSON.stringify({
      supported, addon,
      reasons: ksm.capabilities().reasons,
      pagesSharing: ksm.systemStats().pagesSharing,
      esmSupported: esm.capabilities().supported,
      markedPages: supported ? ksm.markMergeable(Buffer.alloc(16384)).pages : 0,
      allocated: supported ? ksm.allocMergeable(3 * 4096, 7).reduce((sum, byte) => sum + byte, 0) : 0,
      process: supported ? ksm.processStats() : null,
    }));
  });`;

/** What the probe reports in `dir`, run by `node` (default: this Node). */
const probeIn = (dir: string, node?: string[]) => runNodeJson<Probe>(probe, { cwd: dir, ...(node ? { node } : {}) });

/** The installed package's CLI, run as a user runs it. */
function cliStatus(dir: string) {
  return run(process.execPath, [path.join(dir, 'node_modules', '.bin', 'ksm'), 'status'], { cwd: dir });
}

/** Node `major`'s directory (npm's node-linux-* binaries, fetched once). */
const nodeDir = (major: number, arch = process.arch) =>
  execFileSync('bash', [path.join(packageRoot, 'scripts', 'node-binary.sh'), String(major), arch], { encoding: 'utf8' }).trim();

const timings: Record<string, number> = {};

describe.skipIf(!linux)('installing the packed tarball', () => {
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-install-'));
    // Packing builds the prebuilds (prepack).
    const packed = run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: packageRoot });
    expect(packed.status, packed.stderr).toBe(0);
    tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  });
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (Object.keys(timings).length > 0) console.log(`install times: ${JSON.stringify(timings)}`);
  });

  it('holds a prebuilt addon for linux-x64 and linux-arm64 on glibc, each within the glibc 2.28 baseline, in under 5 MiB', () => {
    expect(fs.statSync(tarball).size).toBeLessThan(5 * 2 ** 20);
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    const files = ['linux-x64-glibc', 'linux-arm64-glibc'].map((target) => path.join(unpacked, 'package', 'prebuilds', target, 'ksm.node'));
    expect(execFileSync('file', ['-b', ...files], { encoding: 'utf8' })).toMatch(/x86-64.*\n.*ARM aarch64/);
    const check = (...args: string[]) => run(process.execPath, [path.join(packageRoot, 'scripts', 'check-elf-baseline.mjs'), ...args]);
    const passed = check(...files);
    expect(passed.status, passed.stderr).toBe(0);
    expect(passed.stdout).toMatch(/x64-glibc\/ksm.node: .*GLIBC_2\.\d+/);
    // The check can fail: against a baseline older than what the build needs, it does.
    const past = check('--baseline', 'GLIBC=2.3', files[0]);
    expect(past.status).toBe(1);
    expect(past.stderr).toMatch(/needs GLIBC_2\.\d+, past the baseline GLIBC_2\.3/);
  });

  it.skipIf(!x64).each([['the system Node', 0], ['Node 22', 22], ['Node 26', 26]] as const)(
    'on %s with PATH holding node and npm but no compiler, make or python: the prebuild serves, nothing is compiled', (_name, major) => {
      const node = major === 0 ? process.execPath : path.join(nodeDir(major), 'bin', 'node');
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithNodeOnly(`node${major}`, node) };
      delete env.CXX;
      const install = installInto(`prebuilt-${major}`, ['--foreground-scripts'], env);
      expect(install.status, install.stderr).toBe(0);
      if (major === 0) timings.prebuilt = install.ms;
      expect(install.stdout).toContain('node-ksm: using the prebuilt addon prebuilds/linux-x64-glibc/ksm.node; nothing to compile');
      expect(install.stdout).not.toMatch(/gyp/);
      expect(fs.existsSync(builtAddon(install.dir))).toBe(false);
      const report = probeIn(install.dir, [node]);
      expect(report).toMatchObject({ supported: true, esmSupported: true, addon: 'prebuilds/linux-x64-glibc/ksm.node', allocated: 3 * 4096 * 7 });
      expect(report.markedPages).toBeGreaterThanOrEqual(3);
      expect(report.reasons.filter((reason) => reason.includes('native addon'))).toEqual([]);
    });

  it('--build-from-source compiles with the node-gyp npm provides, installs no node-gyp of its own, and that build is loaded', () => {
    const install = installInto('from-source', ['--build-from-source', '--foreground-scripts']);
    expect(install.status, install.stderr).toBe(0);
    timings.compiled = install.ms;
    const npmNodeGyp = run('npm', ['config', 'get', 'node-gyp']).stdout.trim();
    expect(npmNodeGyp).toMatch(/node-gyp/);
    expect(install.stdout).toContain('node-ksm: compiling the native addon from source, as asked');
    expect(install.stdout).toContain(`node-ksm: building the native addon with ${npmNodeGyp}`);
    expect(fs.existsSync(builtAddon(install.dir))).toBe(true);
    expect(fs.existsSync(path.join(install.dir, 'node_modules', 'node-gyp'))).toBe(false);
    const listed = run('npm', ['ls', '--all', '--parseable'], { cwd: install.dir }).stdout;
    expect(listed).not.toMatch(/node-gyp/);
    expect(listed).toMatch(/node_modules\/bindings/);
    expect(probeIn(install.dir)).toMatchObject({ supported: true, esmSupported: true, addon: 'build/Release/ksm.node' });

    // Asked again through our own variable, after a rebuild that took the prebuild.
    const back = rebuild(install.dir);
    expect(back.stdout).toContain('using the prebuilt addon');
    expect(fs.existsSync(builtAddon(install.dir))).toBe(false);
    const ours = rebuild(install.dir, { ...process.env, NODE_KSM_BUILD_FROM_SOURCE: '1' });
    expect(ours.stdout).toContain('compiling the native addon from source, as asked');
    expect(fs.existsSync(builtAddon(install.dir))).toBe(true);
  });

  describe('a prebuild that does not load', () => {
    /** A project installed without scripts, whose prebuild for this machine is then made unloadable. */
    function withBrokenPrebuild(name: string) {
      const install = installInto(name, ['--ignore-scripts']);
      expect(install.status, install.stderr).toBe(0);
      fs.writeFileSync(prebuilt(install.dir), 'not an ELF file');
      return install.dir;
    }
    const loaderError = /could not be loaded \(.*ksm\.node: (file too short|invalid ELF header)\)/;

    it('is compiled over, and the install says which file failed and the loader\'s error', () => {
      const dir = withBrokenPrebuild('broken-prebuild');
      const again = rebuild(dir);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toContain(`node-ksm: warning: the prebuilt addon ${prebuilt(dir)} could not be loaded (`);
      expect(again.stderr).toMatch(loaderError);
      expect(fs.existsSync(builtAddon(dir))).toBe(true);
      expect(probeIn(dir)).toMatchObject({ supported: true, addon: 'build/Release/ksm.node' });
    });

    it('where it cannot be compiled either, KSM is unsupported with a reason naming the file, the loader\'s error and the fix', () => {
      const dir = withBrokenPrebuild('broken-no-compiler');
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithNodeOnly('broken') };
      delete env.CXX;
      const again = rebuild(dir, env);
      expect(again.status, again.stderr).toBe(0);
      const report = probeIn(dir);
      expect(report.supported).toBe(false);
      expect(report.esmSupported).toBe(false);
      const reason = report.reasons.find((r) => r.includes('native addon'));
      expect(reason).toContain(`the prebuilt addon ${prebuilt(dir)} could not be loaded (`);
      expect(reason).toMatch(loaderError);
      expect(reason).toMatch(/and missing a C\+\+ compiler \(g\+\+, c\+\+ or clang\+\+ on PATH\), make, Python 3/);
      expect(reason).toMatch(/apt-get install python3 make g\+\+.*apk add python3 make g\+\+/);
      expect(reason).toMatch(/npm rebuild node-ksm/);
      expect(typeof report.pagesSharing).toBe('number');
      const status = cliStatus(dir);
      expect(status.status, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^ksmd: /m);
    });
  });

  it('a compile that fails does not fail the install; the reason points at the kept build log', () => {
    const install = installInto('failed-build', ['--build-from-source'], { ...process.env, CXX: 'false' });
    expect(install.status, install.stderr).toBe(0);
    const log = path.join(install.dir, 'node_modules', 'node-ksm', 'build', 'install.log');
    expect(fs.readFileSync(log, 'utf8')).toMatch(/gyp ERR!/);
    const report = probeIn(install.dir);
    expect(report.supported).toBe(false);
    expect(report.reasons.find((r) => r.includes('native addon')))
      .toBe(`the native addon was not built when node-ksm was installed: the build failed (node-gyp exit 1; its output is in ${log}); fix what that log names, then run "npm rebuild node-ksm"`);
  });

  it('with install scripts skipped the prebuild still serves, chosen when the package loads', () => {
    const install = installInto('ignore-scripts', ['--ignore-scripts']);
    expect(install.status, install.stderr).toBe(0);
    expect(fs.existsSync(builtAddon(install.dir))).toBe(false);
    expect(probeIn(install.dir)).toMatchObject({ supported: true, addon: `prebuilds/linux-${process.arch}-glibc/ksm.node` });
    const status = cliStatus(install.dir);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^ksmd: /m);
  });

  // qemu-user runs Node's own arm64 binary here, with Debian's arm64 glibc and libstdc++ (what
  // .ci/run installs). It proves the arm64 prebuild links, loads into an arm64 Node and runs its
  // system calls through qemu's translation; whether pages merge is the host kernel's business,
  // and qemu 7.2 answers EINVAL to the process-wide merge prctl, so merging is not judged here.
  const qemu = ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'];
  const qemuMissing = !linux ? 'not Linux' : spawnSync('qemu-aarch64', ['--version']).status !== 0
    ? 'qemu-aarch64 is not installed (Debian: apt-get install qemu-user)'
    : !fs.existsSync('/usr/aarch64-linux-gnu/lib/libstdc++.so.6')
      ? 'no arm64 glibc and libstdc++ in /usr/aarch64-linux-gnu (Debian: apt-get install libc6-arm64-cross libstdc++6-arm64-cross)' : '';
  it.skipIf(!x64 || qemuMissing !== '')(`the arm64 prebuild loads and works in Node 22 for arm64 under qemu-user${
    qemuMissing ? ` (skipped: ${qemuMissing})` : ''}`, () => {
    const install = installInto('arm64', ['--ignore-scripts']);
    expect(install.status, install.stderr).toBe(0);
    const report = probeIn(install.dir, [...qemu, path.join(nodeDir(22, 'arm64'), 'bin', 'node')]);
    expect(report).toMatchObject({ supported: true, addon: 'prebuilds/linux-arm64-glibc/ksm.node', allocated: 3 * 4096 * 7 });
    expect(report.markedPages).toBeGreaterThanOrEqual(3);
    expect(report.process).toMatchObject({ mergingPages: expect.any(Number) });
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
