import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { capabilities } from '../../lib/index.js';
import { packageWithoutAddon, runNodeJson } from '../helpers/child.js';
import { noKsmStat, noProcessMerge } from '../helpers/kernel.js';
import { ksmdUnavailable, withKsmd } from '../helpers/ksmd.js';
import { linux, root } from '../helpers/platform.js';

interface ChildReport {
  capabilities: ReturnType<typeof capabilities>;
  calls: Record<string, { ok: boolean; name?: string; code?: string; reasons?: string[] }>;
}
// In a child: capabilities(), then each public call, recording what it returned or threw.
const probe = (setup = '') => `${setup}
  const ksm = require('node-ksm');
  const attempt = (fn) => { try { fn(); return { ok: true }; } catch (e) {
    return { ok: false, name: e.name, code: e.code, reasons: e.reasons }; } };
  console.log(JSON.stringify({
    capabilities: ksm.capabilities(),
    calls: {
      markMergeable: attempt(() => ksm.markMergeable(Buffer.alloc(1 << 20))),
      unmarkMergeable: attempt(() => ksm.unmarkMergeable(Buffer.alloc(1 << 20))),
      isMarkedMergeable: attempt(() => ksm.isMarkedMergeable(Buffer.alloc(1 << 20))),
      allocMergeable: attempt(() => ksm.allocMergeable(4096)),
      mergeableFrom: attempt(() => ksm.mergeableFrom('data')),
      isProcessMergeEnabled: attempt(() => ksm.isProcessMergeEnabled()),
      processStats: attempt(() => ksm.processStats()),
      systemStats: attempt(() => ksm.systemStats()),
    },
  }));`;

describe.skipIf(!root)('capabilities() as root on this machine', () => {
  it('reports every field true that this kernel allows, and a reason for each that it does not', () => {
    const caps = capabilities();
    const [major, minor] = os.release().split('.').map(Number);
    const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b);
    expect(caps).toMatchObject({
      supported: true, platform: 'linux', kernelRelease: os.release(), pageSize: PAGE_SIZE, ksmCompiledIn: true,
      processMerge: atLeast(6, 4), processMergeInheritedOnExec: atLeast(6, 7), canControlKsmd: true,
      canInspectPages: true, externalBuffers: true,
    });
    const expected = [/^ksmd is not running: .* root writes 1 to \/sys\/kernel\/mm\/ksm\/run$/];
    if (!atLeast(6, 4)) expected.push(/^process-wide merge \(PR_SET_MEMORY_MERGE\) needs Linux 6\.4 or later/);
    if (atLeast(6, 4) && !atLeast(6, 7)) expected.push(/^exec'd children .* do not inherit process-wide merge before Linux 6\.7/);
    for (const reason of caps.reasons) expect(expected.some((pattern) => pattern.test(reason)), reason).toBe(true);
    expect(caps.reasons.length).toBeGreaterThanOrEqual(expected.length - 1); // ksmd may be running
  });

  it.skipIf(ksmdUnavailable)('re-reads ksmdRunning on every call: equal to run == 1', async () => {
    const stopped = await withKsmd(() => capabilities(), { run: 0 });
    expect(stopped.ksmdRunning).toBe(false);
    expect(stopped.reasons.some((r) => r.startsWith('ksmd is not running'))).toBe(true);
    const running = await withKsmd(() => {
      const caps = capabilities();
      expect(caps.ksmdRunning).toBe(fs.readFileSync('/sys/kernel/mm/ksm/run', 'utf8').trim() === '1');
      return caps;
    });
    expect(running.ksmdRunning).toBe(true);
    expect(running.reasons.some((r) => r.startsWith('ksmd is not running'))).toBe(false);
  });
});

describe('capabilities() where KSM cannot be used', () => {
  it('on macOS (platform forced): import works, supported is false, every call throws with a code', () => {
    const report = runNodeJson<ChildReport>(probe(`Object.defineProperty(process, 'platform', { value: 'darwin' });`));
    expect(report.capabilities).toMatchObject({ supported: false, platform: 'darwin', ksmCompiledIn: false,
      processMerge: false, canControlKsmd: false, canInspectPages: false });
    expect(report.capabilities.pageSize).toBeUndefined();
    expect(report.capabilities.reasons).toEqual(['KSM is a Linux kernel feature and this is darwin']);
    for (const [call, outcome] of Object.entries(report.calls)) {
      expect([call, outcome]).toEqual([call, { ok: false, name: 'KsmUnsupportedError', code: 'ERR_KSM_UNSUPPORTED',
        reasons: report.capabilities.reasons }]);
    }
  });

  it.skipIf(!linux)('with the addon never built: supported is false and the reason says why and how to fix it', () => {
    const report = runNodeJson<ChildReport>(probe(), { cwd: packageWithoutAddon() });
    expect(report.capabilities.supported).toBe(false);
    expect(report.capabilities.reasons[0]).toMatch(/^the native addon was never built: .* then run "npm rebuild node-ksm"$/);
    for (const call of ['markMergeable', 'allocMergeable', 'isProcessMergeEnabled'] as const) {
      expect(report.calls[call]).toMatchObject({ ok: false, code: 'ERR_KSM_UNSUPPORTED' });
      expect(report.capabilities.reasons).toEqual(expect.arrayContaining(report.calls[call].reasons ?? ['none']));
    }
    // The stats are plain file reads: they still work without the addon.
    expect(report.calls.processStats.ok).toBe(true);
    expect(report.calls.systemStats.ok).toBe(true);
  });

  it.skipIf(!root)('as an unprivileged user: no ksmd control or page inspection, everything else works', () => {
    const report = runNodeJson<ChildReport>(probe(), { uid: 65534, gid: 65534 });
    // Privilege changes none of what the kernel offers: process-wide merge as for root.
    expect(report.capabilities).toMatchObject({ supported: true, canControlKsmd: false, canInspectPages: false,
      processMerge: !noProcessMerge });
    expect(report.capabilities.reasons).toEqual(expect.arrayContaining([
      expect.stringMatching(/^this process cannot write \/sys\/kernel\/mm\/ksm\/run \(EACCES\): .* needs root$/),
      expect.stringMatching(/^\/proc\/self\/pagemap hides frame numbers from this process/),
    ]));
    for (const [call, outcome] of Object.entries(report.calls)) {
      if (call === 'isProcessMergeEnabled' && noProcessMerge) expect(outcome).toMatchObject({ ok: false, code: 'EINVAL' });
      else expect([call, outcome]).toEqual([call, { ok: true }]);
    }
  });

  it.skipIf(!root || noKsmStat)(`a process that dropped root with setuid is told why it cannot read its own ksm_stat${noKsmStat ? ` (${noKsmStat})` : ''}`, () => {
    // The kernel makes such a process non-dumpable: its /proc files become root's.
    const report = runNodeJson<{ code: string; message: string; caps: ReturnType<typeof capabilities> }>(`
      process.setgid(65534); process.setuid(65534);
      const ksm = require('node-ksm');
      try { ksm.processStats(); } catch (e) {
        console.log(JSON.stringify({ code: e.code, message: e.message, caps: ksm.capabilities() })); }`);
    expect(report.code).toBe('EACCES');
    expect(report.message).toMatch(/^EACCES: permission denied, open '\/proc\/self\/ksm_stat' \(.*setuid.*dumpable/);
    expect(report.caps.canInspectPages).toBe(false);
  });
});
