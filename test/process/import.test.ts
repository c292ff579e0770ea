import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot, packageWithoutAddon, runNode, runNodeJson } from '../helpers/child.js';
import { linux } from '../helpers/platform.js';

// Each case imports the built package in a child, calls a KSM function and reports what it threw.
const callAndReport = `
  let error;
  try { ksm.markMergeable(Buffer.alloc(8192)); } catch (e) { error = e; }
  console.log(JSON.stringify({
    exports: Object.keys(ksm).sort(),
    name: error?.name, code: error?.code, message: error?.message, reasons: error?.reasons,
    isKsmError: error instanceof ksm.KsmError,
  }));`;
interface Report {
  exports: string[];
  name?: string;
  code?: string;
  message?: string;
  reasons?: string[];
  isKsmError: boolean;
}

describe('importing the package', () => {
  it('serves require and import with the same exports and one shared instance', () => {
    const cjs = runNodeJson<Report>(`const ksm = require('node-ksm'); ${callAndReport}`);
    const esm = runNodeJson<Report>(`import * as ksm from 'node-ksm'; ${callAndReport}`, { module: true });
    // Node adds names of its own to a CommonJS module's namespace (`default`; `module.exports`
    // from Node 23): asked of an empty CommonJS module, whatever this version adds.
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-import-')), 'empty.cjs');
    fs.writeFileSync(empty, 'module.exports = {};');
    const added = runNodeJson<string[]>(`const ns = await import(${JSON.stringify(pathToFileURL(empty).href)});
      console.log(JSON.stringify(Object.keys(ns)));`, { module: true });
    fs.rmSync(path.dirname(empty), { recursive: true });
    expect(added).toContain('default');
    const named = esm.exports.filter((name) => !added.includes(name) && name !== '__esModule');
    expect(named).toEqual(cjs.exports);
    expect(cjs.exports).toContain('markMergeable');

    const same = runNodeJson<boolean>(`
      import { createRequire } from 'node:module';
      import { KsmError } from 'node-ksm';
      console.log(JSON.stringify(createRequire(import.meta.url)('node-ksm').KsmError === KsmError));`,
    { module: true });
    expect(same).toBe(true);
  });

  it.each([
    ['require', false, `Object.defineProperty(process, 'platform', { value: 'darwin' });
      const ksm = require('node-ksm');`],
    ['import', true, `Object.defineProperty(process, 'platform', { value: 'darwin' });
      const ksm = await import('node-ksm');`],
  ])('does not throw on macOS (%s); KSM calls throw KsmUnsupportedError', (_how, module, load) => {
    const report = runNodeJson<Report>(`${load} ${callAndReport}`, { module });
    expect(report.exports).toContain('markMergeable');
    expect(report.name).toBe('KsmUnsupportedError');
    expect(report.code).toBe('ERR_KSM_UNSUPPORTED');
    expect(report.isKsmError).toBe(true);
    expect(report.reasons).toEqual(['KSM is a Linux kernel feature and this is darwin']);
  });

  describe.skipIf(!linux)('without a working addon', () => {
    const reportIn = (dir: string) => runNodeJson<Report>(`const ksm = require('node-ksm'); ${callAndReport}`, { cwd: dir });
    const build = (dir: string) => path.join(dir, 'build');
    const prebuilds = (dir: string) => path.join(dir, 'prebuilds');
    afterEach(() => {
      fs.rmSync(build(packageWithoutAddon()), { recursive: true, force: true });
      fs.rmSync(prebuilds(packageWithoutAddon()), { recursive: true, force: true });
    });

    it('never built (install scripts skipped): the reason says so and how to allow them', () => {
      const report = reportIn(packageWithoutAddon());
      expect(report.code).toBe('ERR_KSM_UNSUPPORTED');
      expect(report.reasons).toEqual([expect.stringMatching(/^the native addon was never built: node-ksm's install script did not run/)]);
      expect(report.message).toMatch(/npm approve-scripts node-ksm.*pnpm approve-builds.*trustedDependencies.*npm rebuild node-ksm/);
    });

    it('not built at install: the reason is what the install step recorded', () => {
      const dir = packageWithoutAddon();
      fs.mkdirSync(build(dir));
      fs.writeFileSync(path.join(build(dir), 'install-error.json'), JSON.stringify({ reason: 'recorded: missing make' }));
      expect(reportIn(dir).reasons).toEqual(['recorded: missing make']);
    });

    it('no build, and a prebuild for this machine that does not load: the reason names it, the loader\'s error and the compile', () => {
      const dir = packageWithoutAddon();
      const target = `linux-${process.arch}-glibc`;
      fs.mkdirSync(path.join(prebuilds(dir), target), { recursive: true });
      fs.writeFileSync(path.join(prebuilds(dir), target, 'ksm.node'), 'not an ELF file');
      const [reason, ...others] = reportIn(dir).reasons ?? [];
      expect(others).toEqual([]);
      expect(reason.replace(path.join(prebuilds(dir), target, 'ksm.node'), 'FILE')).toMatch(new RegExp(`^the native addon prebuilds/${target}/ksm.node ` +
        'could not be loaded \\(FILE: (file too short|invalid ELF header)\\); compile one from source with "npm rebuild node-ksm --build-from-source"$'));
      // A prebuild that loads serves.
      fs.copyFileSync(path.join(packageRoot, 'build', 'Release', 'ksm.node'), path.join(prebuilds(dir), target, 'ksm.node'));
      const served = reportIn(dir);
      expect([served.name, served.message]).toEqual([undefined, undefined]); // markMergeable threw nothing
    });

    it('built but unloadable: the reason names the file, the loader\'s error and the rebuild', () => {
      const dir = packageWithoutAddon();
      fs.mkdirSync(path.join(build(dir), 'Release'), { recursive: true });
      fs.writeFileSync(path.join(build(dir), 'Release', 'ksm.node'), 'not an ELF file');
      expect(reportIn(dir).reasons).toEqual([expect.stringMatching(
        /^the native addon build\/Release\/ksm.node could not be loaded \(.*ksm\.node: (file too short|invalid ELF header)\); rebuild it with "npm rebuild node-ksm"$/)]);
    });
  });

  it.skipIf(!linux)('in this repo the addon is built and loads: a failed build must not pass quietly', () => {
    expect(runNodeJson<string[]>(`console.log(JSON.stringify(require('node-ksm').capabilities().reasons))`)
      .filter((reason) => reason.includes('native addon'))).toEqual([]);
  });
});

describe('installing', () => {
  it.each(['darwin', 'win32'])('on %s builds nothing and succeeds', (platform) => {
    const result = runNode(`Object.defineProperty(process, 'platform', { value: '${platform}' });
      require('./scripts/install.js');`);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`skipping the native build on ${platform}`);
  });
});
