// Runs a snippet in a fresh `node` process from the package root, where `node-ksm` resolves
// to the built package (dist/) as a user's code would see it.
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from './paths.js';

export { packageRoot };

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  module?: boolean;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  /** The directory to run in, whose package `node-ksm` names (default: this package). */
  cwd?: string;
  /** Run as this user and group (root only). */
  uid?: number;
  gid?: number;
  /** Milliseconds before the child is killed. Default 60 s. */
  timeout?: number;
  /** The command that runs Node: another version's binary, or one under an emulator. Default: this Node. */
  node?: string[];
}

export function runNode(code: string, options: RunOptions = {}): ChildResult {
  // With no code, `args` name a script to run.
  const args = [...(options.args ?? []), ...(code ? [...(options.module ? ['--input-type=module'] : []), '-e', code] : [])];
  const [command, ...prefix] = options.node ?? [process.execPath];
  const result = spawnSync(command, [...prefix, ...args], {
    cwd: options.cwd ?? packageRoot,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    uid: options.uid,
    gid: options.gid,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a snippet that prints one JSON value on its last line, and returns it parsed. */
export function runNodeJson<T>(code: string, options?: RunOptions): T {
  const result = runNode(code, options);
  if (result.status !== 0) {
    throw new Error(`child exited with ${result.status ?? result.signal}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? 'null') as T;
}

let withoutAddon: string | undefined;

/**
 * A copy of the built package with no native build in it, as a user gets when the addon was
 * never compiled: run a child there (cwd) and `require('node-ksm')` loads the copy.
 */
export function packageWithoutAddon(): string {
  if (withoutAddon) return withoutAddon;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-no-addon-'));
  fs.copyFileSync(path.join(packageRoot, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(packageRoot, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(dir, 'node_modules'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  withoutAddon = dir;
  return dir;
}

/** The next line a child prints that contains `want` (any line for ''); rejects if it exits first. */
export function lineFrom(child: ChildProcessWithoutNullStreams, want = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before printing "${want}"`));
    const onData = (data: string) => {
      text += data;
      const line = text.split('\n').slice(0, -1).find((candidate) => candidate.includes(want));
      if (line === undefined) return;
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      resolve(line);
    };
    // The stream decodes (UTF-8, from now on for every reader of it), so that a character split
    // between two chunks arrives whole.
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
  });
}

/** Closes a child's stdin (the fixtures' signal to end) and waits for it to exit. */
export function endChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin.end();
  });
}
