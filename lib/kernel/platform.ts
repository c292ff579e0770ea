// What kind of system this is: Linux or not, and which kernel.
import os from 'node:os';
import { KsmUnsupportedError } from '../errors.js';

/** Throws KsmUnsupportedError off Linux, where there is no KSM and no /proc to read. */
export function requireLinux(): void {
  if (process.platform !== 'linux') {
    throw new KsmUnsupportedError([`KSM is a Linux kernel feature and this is ${process.platform}`]);
  }
}

/** [major, minor] of the running kernel, from os.release() ("6.18.44-..."). */
export function kernelVersion(release = os.release()): [number, number] {
  const [major, minor] = release.split(/[.-]/).map(Number);
  return [major || 0, minor || 0];
}

export function kernelAtLeast(major: number, minor: number, release?: string): boolean {
  const [haveMajor, haveMinor] = kernelVersion(release);
  return haveMajor > major || (haveMajor === major && haveMinor >= minor);
}
