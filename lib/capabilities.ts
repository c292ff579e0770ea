// One probe of what this host allows, for tools to call before they act. It never throws.
import os from 'node:os';
import { externalBuffersAllowed } from './alloc.js';
import { addon, addonUnavailableReasons } from './kernel/addon.js';
import {
  KSMD_STOPPED, ksmdNotWritable, ksmdRunUnreadable, pageFilesUnreadable, pagesNotInspectable,
} from './kernel/hints.js';
import { ksmdDirectoryExists, ksmdFileWritable, readKsmdText } from './kernel/ksmd-files.js';
import { pageSize } from './kernel/page-size.js';
import { kernelAtLeast } from './kernel/platform.js';

/** What capabilities() reports: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#capabilities-1 */
export interface Capabilities {
  supported: boolean;
  platform: NodeJS.Platform;
  kernelRelease: string;
  pageSize: number | undefined;
  ksmCompiledIn: boolean;
  ksmdRunning: boolean;
  processMerge: boolean;
  processMergeInheritedOnExec: boolean;
  canControlKsmd: boolean;
  canInspectPages: boolean;
  externalBuffers: boolean;
  reasons: string[];
}

interface Fixed {
  supported: boolean;
  pageSize: number | undefined;
  ksmCompiledIn: boolean;
  processMerge: boolean;
  processMergeInheritedOnExec: boolean;
  externalBuffers: boolean;
  reasons: string[];
}

let fixed: Fixed | undefined;

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? String(error);
}

/** What cannot change while the process runs: probed once. */
function probeFixed(): Fixed {
  const unsupported = addonUnavailableReasons();
  const linux = process.platform === 'linux';
  const reasons = [...(unsupported ?? [])];
  const result: Fixed = {
    supported: unsupported === undefined,
    pageSize: linux ? pageSize() : undefined,
    ksmCompiledIn: unsupported === undefined || (linux && ksmdDirectoryExists()),
    processMerge: false,
    processMergeInheritedOnExec: false,
    externalBuffers: false,
    reasons,
  };
  if (!result.supported) return result;

  const loaded = addon();
  try {
    loaded.getProcessMerge();
    result.processMerge = true;
  } catch (error) {
    const code = errorCode(error);
    reasons.push(kernelAtLeast(6, 4)
      ? `process-wide merge is blocked: prctl(PR_GET_MEMORY_MERGE) failed with ${code}, likely a seccomp ` +
        'filter; allow prctl in the profile'
      : `process-wide merge (PR_SET_MEMORY_MERGE) needs Linux 6.4 or later and this is ${os.release()}`);
  }
  result.processMergeInheritedOnExec = result.processMerge && kernelAtLeast(6, 7);
  if (result.processMerge && !result.processMergeInheritedOnExec) {
    reasons.push(`exec'd children (cluster workers, child_process.fork) do not inherit process-wide merge ` +
      `before Linux 6.7 (this is ${os.release()}): call enableProcessMerge() in each, or start them with ` +
      '-r node-ksm/register and NODE_KSM_MERGE=1');
  }
  result.externalBuffers = externalBuffersAllowed() ?? loaded.externalBuffersAllowed();
  if (!result.externalBuffers) {
    reasons.push('this runtime refuses external buffers (V8 sandbox): allocMergeable, mergeableFrom and ' +
      'readFileMergeable fall back to plain Buffers, whose copies merge only where malloc aligns them alike');
  }
  return result;
}

function ksmdRunning(reasons: string[]): boolean {
  try {
    if (readKsmdText('run').trim() === '1') return true;
    reasons.push(KSMD_STOPPED);
  } catch (error) {
    reasons.push(ksmdRunUnreadable(errorCode(error)));
  }
  return false;
}

function canControlKsmd(reasons: string[]): boolean {
  const access = ksmdFileWritable('run');
  if (access.writable) return true;
  reasons.push(ksmdNotWritable(access.code));
  return false;
}

/** Inspects a page this process has touched, as inspect() would: merged shows only to root. */
function canInspectPages(reasons: string[]): boolean {
  const loaded = addon();
  try {
    const { present, merged } = loaded.inspectPages(Buffer.alloc(2 * loaded.pageSize, 1));
    if (merged !== undefined) return true;
    reasons.push(pagesNotInspectable(present));
  } catch (error) {
    reasons.push(pageFilesUnreadable(errorCode(error)));
  }
  return false;
}

/** What this host allows, with a reason for each thing that is off; never throws: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#capabilities-capabilities */
export function capabilities(): Capabilities {
  try {
    fixed ??= probeFixed();
    const reasons = [...fixed.reasons];
    const result: Capabilities = {
      supported: fixed.supported,
      platform: process.platform,
      kernelRelease: os.release(),
      pageSize: fixed.pageSize,
      ksmCompiledIn: fixed.ksmCompiledIn,
      ksmdRunning: false,
      processMerge: fixed.processMerge,
      processMergeInheritedOnExec: fixed.processMergeInheritedOnExec,
      canControlKsmd: false,
      canInspectPages: false,
      externalBuffers: fixed.externalBuffers,
      reasons,
    };
    if (fixed.ksmCompiledIn) {
      result.ksmdRunning = ksmdRunning(reasons);
      result.canControlKsmd = canControlKsmd(reasons);
    }
    if (fixed.supported) result.canInspectPages = canInspectPages(reasons);
    return result;
  } catch (error) {
    // A probe failing in a way not foreseen must not take the caller down.
    return {
      supported: false, platform: process.platform, kernelRelease: os.release(), pageSize: undefined,
      ksmCompiledIn: false, ksmdRunning: false, processMerge: false, processMergeInheritedOnExec: false,
      canControlKsmd: false, canInspectPages: false, externalBuffers: false,
      reasons: [`the capability probe failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`],
    };
  }
}
