import { describe, expect, it } from 'vitest';
import { KsmError, type KsmErrorCode } from '../../lib/errors.js';
import { withHint } from '../../lib/kernel/hints.js';
import { kernelAtLeast, kernelVersion, requireLinux } from '../../lib/kernel/platform.js';

const error = (code: string, syscall: string, path?: string) =>
  new KsmError(`${code}: something, ${syscall}`, { code: code as KsmErrorCode, errno: -1, syscall, path });

describe('actionable messages', () => {
  it.each([['EPERM', 'prctl'], ['ENOSYS', 'madvise'], ['EPERM', 'madvise']])('%s from %s names seccomp', (code, syscall) => {
    const hinted = withHint(error(code, syscall)) as KsmError;
    expect(hinted.message).toMatch(new RegExp(`^${code}: something, ${syscall} \\(a seccomp filter .* blocks this system call`));
    expect(hinted).toMatchObject({ code, errno: -1, syscall });
    expect(hinted).toBeInstanceOf(KsmError);
  });

  it('EINVAL from madvise says the kernel may lack KSM', () => {
    expect((withHint(error('EINVAL', 'madvise')) as Error).message).toMatch(/\(this kernel may lack KSM \(CONFIG_KSM\)/);
  });

  it('EACCES on ksm_stat explains owners and setuid', () => {
    expect((withHint(error('EACCES', 'open', '/proc/1/ksm_stat')) as Error).message).toMatch(/setuid is made non-dumpable/);
  });

  it('leaves errors it has nothing to say about, and non-KsmErrors, as they are', () => {
    const plain = error('EBADF', 'read');
    expect(withHint(plain)).toBe(plain);
    const type = new TypeError('x');
    expect(withHint(type)).toBe(type);
  });
});

describe('kernel versions', () => {
  it.each([['6.18.44-fc-v657', [6, 18]], ['5.19.0-1-amd64', [5, 19]], ['6.4', [6, 4]], ['garbage', [0, 0]]] as const)(
    '%s -> %j', (release, version) => {
      expect(kernelVersion(release)).toEqual(version);
    });

  it('compares major and minor', () => {
    expect(kernelAtLeast(6, 4, '6.4.0')).toBe(true);
    expect(kernelAtLeast(6, 4, '6.3.9')).toBe(false);
    expect(kernelAtLeast(6, 4, '6.5.0')).toBe(true);
    expect(kernelAtLeast(6, 7, '7.0.1')).toBe(true);
    expect(kernelAtLeast(6, 7, '5.19.0')).toBe(false);
    expect(kernelAtLeast(6, 7, '5.99.0')).toBe(false);
    expect(kernelVersion('6')).toEqual([6, 0]);
  });

  it('requireLinux throws KsmUnsupportedError naming the platform, and nothing on Linux', () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    try {
      Object.defineProperty(process, 'platform', { value: 'darwin' });
      expect(() => requireLinux()).toThrow(expect.objectContaining({ name: 'KsmUnsupportedError', code: 'ERR_KSM_UNSUPPORTED',
        reasons: ['KSM is a Linux kernel feature and this is darwin'] }));
      Object.defineProperty(process, 'platform', { value: 'linux' });
      expect(() => requireLinux()).not.toThrow();
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });
});
