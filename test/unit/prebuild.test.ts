// Which prebuilt addon a machine takes, and when the install must compile instead.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFromSourceAsked, libc, PREBUILT_TARGETS, prebuildFile, prebuildTarget } from '../../lib/kernel/prebuild.js';

// Lines of /proc/self/maps as each C library's Node maps them.
const glibcMaps = `5581a0000000-5581a4000000 r-xp 00000000 08:01 1 /usr/local/bin/node
7f10a0000000-7f10a0200000 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6
7f10a0400000-7f10a0420000 r-xp 00000000 08:01 3 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffd10000000-7ffd10021000 rw-p 00000000 00:00 0 [stack]`;
const muslMaps = `5581a0000000-5581a4000000 r-xp 00000000 08:01 1 /usr/local/bin/node
7f10a0000000-7f10a0060000 r-xp 00000000 08:01 2 /lib/ld-musl-aarch64.so.1
7ffd10000000-7ffd10021000 rw-p 00000000 00:00 0 [stack]`;

describe('prebuild targets', () => {
  it('tells musl from glibc by the loader a process maps, and only by a mapped file\'s name', () => {
    expect(libc(glibcMaps)).toBe('glibc');
    expect(libc(muslMaps)).toBe('musl');
    // A glibc system with musl installed maps no musl loader; a file merely named like it is not one.
    expect(libc(`${glibcMaps}\n7f10a0600000-7f10a0601000 r--p 00000000 08:01 4 /tmp/ld-musl-x86_64.so.1.bak`)).toBe('glibc');
    expect(libc(`${glibcMaps}\n7f10a0600000-7f10a0601000 r--p 00000000 08:01 4 /tmp/not-ld-musl-x86_64.so.1`)).toBe('glibc');
    // musl's loader replaced on disk while the process runs (an upgrade) is still musl's.
    expect(libc(muslMaps.replace('ld-musl-aarch64.so.1', 'ld-musl-aarch64.so.1 (deleted)'))).toBe('musl');
  });

  it('names the target as platform-arch-libc, and the file under prebuilds/', () => {
    expect(prebuildTarget('linux', 'x64', 'glibc')).toBe('linux-x64-glibc');
    expect(prebuildTarget('linux', 'arm64', 'musl')).toBe('linux-arm64-musl');
    expect(PREBUILT_TARGETS).toEqual(['linux-x64-glibc', 'linux-arm64-glibc']);
    expect(prebuildFile('/pkg', 'linux-arm64-glibc')).toBe(path.join('/pkg', 'prebuilds', 'linux-arm64-glibc', 'ksm.node'));
  });

  it.each([
    [{}, false],
    [{ npm_config_build_from_source: 'true' }, true],
    [{ npm_config_build_from_source: 'false' }, false],
    [{ npm_config_build_from_source: '' }, false],
    [{ npm_config_build_from_source: 'sharp, node-ksm' }, true],
    [{ npm_config_build_from_source: 'sharp' }, false],
    [{ npm_config_build_from_source: 'node-ksm-extra' }, false],
    [{ NODE_KSM_BUILD_FROM_SOURCE: '1' }, true],
    [{ NODE_KSM_BUILD_FROM_SOURCE: 'true' }, true],
    [{ NODE_KSM_BUILD_FROM_SOURCE: '0' }, false],
    [{ NODE_KSM_BUILD_FROM_SOURCE: '' }, false],
  ])('compiling from source is asked with %j: %s', (env, asked) => {
    expect(buildFromSourceAsked(env)).toBe(asked);
  });
});
