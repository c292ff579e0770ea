// Which prebuilt addon fits this machine, and whether its owner asked to compile instead. The
// package ships prebuilds/<target>/ksm.node (docs/deployment.md, "Prebuilt addons"); the install
// script (scripts/install.js) and the loader (addon.ts) both decide from here.
import path from 'node:path';
import { readKernelFile } from './files.js';

/** The targets the package ships a prebuilt addon for. */
export const PREBUILT_TARGETS: readonly string[] = ['linux-x64-glibc', 'linux-arm64-glibc'];

/**
 * This process's C library. musl's dynamic loader is its libc, so a process linked against musl
 * maps a file named ld-musl-<arch>.so.1; glibc's processes never do. Reading our own mappings
 * costs about a millisecond, once; process.report, which says the same, costs fifty.
 */
export function libc(maps?: string): 'glibc' | 'musl' {
  let text = maps;
  if (text === undefined) {
    try {
      text = readKernelFile('/proc/self/maps');
    } catch {
      return 'glibc'; // no /proc: a wrong guess only makes the load fail with the loader's reason
    }
  }
  return /\/ld-musl-[^/\s]*\.so\.1( \(deleted\))?$/m.test(text) ? 'musl' : 'glibc';
}

/** The prebuild target of this process: "linux-x64-glibc", "linux-arm64-musl"... */
export function prebuildTarget(platform: string = process.platform, arch: string = process.arch, lib = libc()): string {
  return `${platform}-${arch}-${lib}`;
}

/** The prebuilt addon's path for `target` in the package at `packageRoot`. */
export function prebuildFile(packageRoot: string, target: string = prebuildTarget()): string {
  return path.join(packageRoot, 'prebuilds', target, 'ksm.node');
}

/**
 * Whether the install must compile rather than take a prebuild: npm's --build-from-source (as
 * npm_config_build_from_source, "true" or a list of package names, as prebuild-install reads it)
 * or NODE_KSM_BUILD_FROM_SOURCE=1.
 */
export function buildFromSourceAsked(env: NodeJS.ProcessEnv = process.env): boolean {
  const ours = env.NODE_KSM_BUILD_FROM_SOURCE;
  if (ours === '1' || ours === 'true') return true;
  const npm = env.npm_config_build_from_source;
  return npm === 'true' || (npm ?? '').split(',').map((name) => name.trim()).includes('node-ksm');
}
